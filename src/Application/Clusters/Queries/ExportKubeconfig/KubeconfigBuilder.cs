using System.Net;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

/// <summary>
/// Turns clusters into one kubeconfig: per cluster a cluster entry (the endpoint for the caller's address and the
/// caBundle), a context of the same name, and one user per auth provider. The context uses the first provider's
/// user, named after the cluster; further providers are users named <c>cluster/provider</c> ('/' cannot occur in a
/// cluster name, so merged exports never collide). A cluster without providers gets an empty user (anonymous).
/// </summary>
public sealed class KubeconfigBuilder(IPAddress? client, Action<string> warn)
{
    public Kubeconfig Config { get; } = new();

    /// <summary>Adds the cluster; false when none of its endpoints is meant for the caller (nothing is added).</summary>
    public bool TryAdd(Cluster cluster)
    {
        var name = cluster.Metadata.Name ?? "";
        var endpoints = cluster.Spec?.KubernetesApiEndpoints;
        var endpoint = EndpointSelection.Select(endpoints?.ServerEndpoints, client);
        if (endpoint is null) return false;

        Config.Clusters.Add(new KubeconfigNamedCluster
        {
            Name = name,
            Cluster = new KubeconfigCluster
            {
                Server = EndpointSelection.ServerUrl(endpoint.ServerAddress!),
                CertificateAuthorityData = endpoints?.CaBundle is { Length: > 0 } ca ? ca : null,
            },
        });
        var users = Users(name, cluster.Spec?.AuthInfo?.Providers);
        if (users.Count == 0) users.Add(new KubeconfigNamedAuthInfo { Name = name });
        Config.Users.AddRange(users);
        Config.Contexts.Add(new KubeconfigNamedContext { Name = name, Context = new KubeconfigContext { Cluster = name, User = users[0].Name } });
        return true;
    }

    private List<KubeconfigNamedAuthInfo> Users(string cluster, List<AuthProviderConfig>? providers)
    {
        var users = new List<KubeconfigNamedAuthInfo>();
        foreach (var provider in providers ?? [])
        {
            // client-go's auth-provider name is the plugin (oidc, gcp…): the registry's type, else the config's name.
            var plugin = !string.IsNullOrEmpty(provider?.Type?.Name) ? provider.Type.Name : provider?.Name;
            if (provider is null || string.IsNullOrEmpty(plugin)) continue;
            Dictionary<string, string>? config = null;
            foreach (var (key, value) in provider.Config ?? [])
            {
                if (CredentialFilter.LooksLikeCredential(key, value))
                {
                    warn($"cluster \"{cluster}\": auth provider \"{provider.Name ?? plugin}\": config key \"{key}\" left out of the kubeconfig because it looks like a credential");
                    continue;
                }
                (config ??= new(StringComparer.Ordinal))[key] = value;
            }
            users.Add(new KubeconfigNamedAuthInfo
            {
                Name = users.Count == 0 ? cluster : cluster + "/" + (provider.Name ?? plugin),
                User = new KubeconfigAuthInfo { AuthProvider = new KubeconfigAuthProviderConfig { Name = plugin, Config = config } },
            });
        }
        return users;
    }
}
