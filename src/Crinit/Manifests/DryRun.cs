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
    public static string Render(InitOptions options, TimeProvider time)
    {
        var names = new Names(options.Host.Name, options.Host.Namespace);
        var endpoint = options.AdvertiseAddress is { } ip
            ? new Endpoint([ip], [], options.ServiceType == "NodePort" && options.NodePort > 0 ? options.NodePort : null)
            : Endpoint.None;
        using var credentials = Credentials.Converge(names, endpoint, options.EnableTokenAuth, ExistingCredentials.None, time.GetUtcNow(), adminCertificate: false);
        var objects = ManifestBuilder.Build(names, options, credentials, endpoint);
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
}
