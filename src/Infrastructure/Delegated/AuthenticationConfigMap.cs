using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Infrastructure.Webhooks;

namespace ClusterRegistry.Infrastructure.Delegated;

/// <summary>
/// The host's <c>kube-system/extension-apiserver-authentication</c> ConfigMap, which kube-apiserver fills from its
/// own flags: the client CA, and the front proxy's CA, allowed names and header names (each list a JSON array in a
/// string). Absent keys are null or empty.
/// </summary>
public sealed record AuthenticationConfigMap(
    string? ClientCaPem,
    string? RequestHeaderCaPem,
    IReadOnlyList<string> AllowedNames,
    IReadOnlyList<string> UsernameHeaders,
    IReadOnlyList<string> GroupHeaders,
    IReadOnlyList<string> ExtraHeaderPrefixes)
{
    public const string Namespace = "kube-system";
    public const string Name = "extension-apiserver-authentication";

    /// <summary>Reads the ConfigMap; failures are <see cref="InvalidOperationException"/>s saying how to fix them.</summary>
    public static async Task<AuthenticationConfigMap> ReadAsync(HttpClient http, WebhookKubeconfig host, CancellationToken ct)
    {
        var url = host.At($"/api/v1/namespaces/{Namespace}/configmaps/{Name}").Server;
        JsonObject? data;
        try
        {
            using var response = await http.GetAsync(url, ct);
            if (response.StatusCode == HttpStatusCode.Forbidden)
                throw new InvalidOperationException(
                    $"the host refused to show configmap/{Name} in {Namespace} (403). Usually fixed by 'kubectl create rolebinding -n kube-system " +
                    "ROLE_NAME --role=extension-apiserver-authentication-reader --serviceaccount=YOUR_NS:YOUR_SA' (or --user for a certificate)");
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new InvalidOperationException($"the host has no configmap/{Name} in {Namespace}: is it a kube-apiserver?");
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"reading configmap/{Name} from the host answered {(int)response.StatusCode}");
            data = (JsonNode.Parse(await response.Content.ReadAsByteArrayAsync(ct)) as JsonObject)?["data"] as JsonObject;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"cannot reach the host at {WebhookPost.Describe(host.Server)} to read configmap/{Name}: {Observability.ErrorText.Cause(e)}", e);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"configmap/{Name} from the host is not JSON: {e.Message}", e);
        }
        return new AuthenticationConfigMap(
            Text(data, "client-ca-file"),
            Text(data, "requestheader-client-ca-file"),
            List(data, "requestheader-allowed-names"),
            List(data, "requestheader-username-headers"),
            List(data, "requestheader-group-headers"),
            List(data, "requestheader-extra-headers-prefix"));
    }

    private static string? Text(JsonObject? data, string key) => data?[key]?.GetValue<string>() is { Length: > 0 } s ? s : null;

    private static List<string> List(JsonObject? data, string key)
    {
        if (Text(data, key) is not { } json) return [];
        try
        {
            return JsonSerializer.Deserialize<List<string>>(json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"configmap/{Name} key {key} is not a JSON list of strings: {e.Message}", e);
        }
    }
}
