using System.Text.Json.Nodes;
using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Pki;
using k8s;

namespace ClusterRegistry.Crinit.Manifests;

/// <summary>
/// --dry-run: the manifests init would apply, printed for GitOps (kubectl apply -f, or a repository), with
/// nothing sent to the host. Without a host there is no load-balancer or node address to learn, so the
/// serving certificate names the Service's DNS names and --api-server-advertise-address only.
/// </summary>
public static class DryRun
{
    /// <summary>What a Secret value is replaced by unless --dry-run-include-secrets is given.</summary>
    public const string Redacted = "REDACTED (crinit --dry-run-include-secrets prints it)";

    /// <summary>
    /// The manifests; Secret values (private keys, tokens, a connection string) are <see cref="Redacted"/> unless
    /// <paramref name="includeSecrets"/>: a dry run's output ends up in terminals, CI logs and pull requests.
    /// </summary>
    public static string Render(InitOptions options, TimeProvider time, bool includeSecrets = false)
    {
        var names = new Names(options.Host.Name, options.Host.Namespace);
        var endpoint = options.AdvertiseAddress is { } ip
            ? new Endpoint([ip], [], options.ServiceType == "NodePort" && options.NodePort > 0 ? options.NodePort : null)
            : Endpoint.None;
        using var credentials = Credentials.Converge(names, endpoint, options.EnableTokenAuth, ExistingCredentials.None, time.GetUtcNow(), adminCertificate: false);
        var objects = ManifestBuilder.Build(names, options, credentials, endpoint).Select(o => includeSecrets ? o : Redact(o)).ToList();
        if (options.Output == "json")
        {
            var list = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "List",
                ["items"] = new JsonArray(objects.Select(o => JsonNode.Parse(KubernetesJson.Serialize(o))).ToArray()),
            };
            return list.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
        }
        return string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd('\n') + "\n"));
    }

    /// <summary>
    /// A Secret whose values are the placeholder, as stringData (readable in the output; the keys stay, so the
    /// manifests still validate, e.g. a kubernetes.io/tls Secret's tls.crt and tls.key).
    /// </summary>
    private static k8s.IKubernetesObject<k8s.Models.V1ObjectMeta> Redact(k8s.IKubernetesObject<k8s.Models.V1ObjectMeta> obj) => obj is k8s.Models.V1Secret secret
        ? new k8s.Models.V1Secret
        {
            ApiVersion = secret.ApiVersion,
            Kind = secret.Kind,
            Metadata = secret.Metadata,
            Type = secret.Type,
            StringData = secret.Data.Keys.ToDictionary(k => k, _ => Redacted),
        }
        : obj;
}
