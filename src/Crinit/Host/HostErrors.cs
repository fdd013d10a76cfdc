using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ClusterRegistry.Crinit.Cli;
using k8s.Autorest;
using k8s.Exceptions;

namespace ClusterRegistry.Crinit.Host;

/// <summary>Turns what the host cluster (or the way to it) answered into one line saying what to do.</summary>
public static class HostErrors
{
    public const string AggregationGuide = "https://kubernetes.io/docs/tasks/extend-kubernetes/configure-aggregation-layer/";

    public static bool IsNotFound(Exception e) => e is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound };

    public static CrinitException Explain(Exception e, string action, string server, string context) => e switch
    {
        CrinitException c => c,
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } h =>
            new($"the host cluster refused to {action} (403 Forbidden: {StatusMessage(h)}): crinit needs a cluster-admin identity there; use --host-cluster-context with one, or have an admin bind your user to the cluster-admin ClusterRole", e),
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } =>
            new($"the host cluster at {server} did not accept the credentials of context \"{context}\" (401 Unauthorized) when trying to {action}: renew them (log in again) or pick another --host-cluster-context", e),
        HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound } h when action.Contains("apiservice", StringComparison.OrdinalIgnoreCase) =>
            new($"the host cluster does not serve apiregistration.k8s.io/v1 (404 when trying to {action}: {StatusMessage(h)}): aggregated mode needs Kubernetes 1.10 or later with the aggregation layer on ({AggregationGuide})", e),
        HttpOperationException h =>
            new($"the host cluster answered {(int)h.Response.StatusCode} {h.Response.StatusCode} when trying to {action}: {StatusMessage(h)}", e),
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } =>
            new($"cannot {action}: the TLS connection to {server} failed ({Innermost(e)}); check the certificate-authority of context \"{context}\" in your kubeconfig", e),
        HttpRequestException or SocketException or IOException =>
            new($"cannot reach the host cluster at {server} to {action} ({Innermost(e)}): check that it is running and that --kubeconfig / --host-cluster-context name it", e),
        TaskCanceledException or TimeoutException =>
            new($"the host cluster at {server} did not answer in time when trying to {action}: check that it is running and reachable from here", e),
        KubeConfigException =>
            new($"cannot use the kubeconfig: {e.Message} (pick a context with --host-cluster-context, or a file with --kubeconfig)", e),
        _ => new($"cannot {action}: {e.Message}", e),
    };

    /// <summary>The Status message of an API error, else its raw body.</summary>
    public static string StatusMessage(HttpOperationException e)
    {
        var body = e.Response.Content ?? "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } message) return message;
        }
        catch (JsonException)
        {
        }
        return body.Length > 0 ? body.Trim() : e.Message;
    }

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }
}
