using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClusterRegistry.Client;

/// <summary>Turns a failed HTTP answer into the <see cref="KubernetesException"/> carrying the server's Status.</summary>
internal static class ApiErrors
{
    public static KubernetesException FromResponse(HttpStatusCode code, string? body)
    {
        V1Status? status = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(body)) status = KubernetesJson.Deserialize<V1Status>(body);
        }
        catch (JsonException)
        {
        }
        if (status is null || status.Kind != "Status")
            status = new V1Status { Kind = "Status", Status = "Failure", Code = (int)code, Message = body, Reason = code.ToString() };
        return new KubernetesException(status);
    }

    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw FromResponse(e.Response.StatusCode, e.Response.Content);
        }
    }

    /// <summary>True when <paramref name="e"/> is the server's 410 Expired/Gone (the resourceVersion was compacted).</summary>
    public static bool IsExpired(Exception e) => e is KubernetesException { Status.Code: 410 };
}
