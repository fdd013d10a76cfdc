using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ClusterRegistry.Client.Models;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClusterRegistry.Client;

/// <summary>
/// Typed calls for <c>clusters.clusterregistry.k8s.io/v1alpha1</c> on KubernetesClient. Every failed call throws a
/// <see cref="KubernetesException"/> whose <c>Status</c> is the server's (code, reason, causes), so callers test
/// <c>Status.Code</c> (404 NotFound, 409 Conflict/AlreadyExists, 410 Expired, 422 Invalid) instead of parsing bodies.
/// </summary>
public sealed class ClusterRegistryClient : IDisposable
{
    private const string G = Cluster.KubeGroup, V = Cluster.KubeApiVersion, P = Cluster.KubePluralName;
    private readonly Kubernetes _kubernetes;
    private readonly bool _ownsKubernetes;

    /// <summary>A client for the server and credentials in <paramref name="config"/> (e.g. from a kubeconfig file).</summary>
    public ClusterRegistryClient(KubernetesClientConfiguration config) : this(new Kubernetes(config), ownsKubernetes: true)
    {
    }

    /// <summary>A client over an existing <see cref="Kubernetes"/> client, which the caller keeps and disposes.</summary>
    public ClusterRegistryClient(Kubernetes kubernetes) : this(kubernetes, ownsKubernetes: false)
    {
    }

    private ClusterRegistryClient(Kubernetes kubernetes, bool ownsKubernetes)
    {
        _kubernetes = kubernetes;
        _ownsKubernetes = ownsKubernetes;
    }

    /// <summary>The underlying KubernetesClient, for calls this client does not wrap.</summary>
    public IKubernetes Kubernetes => _kubernetes;

    /// <summary>A KubernetesClient <see cref="GenericClient"/> for clusters (the caller disposes it; it leaves this client open).</summary>
    public GenericClient CreateGenericClient() => new(_kubernetes, G, V, P, disposeClient: false);

    /// <summary>Creates a cluster (POST); <paramref name="dryRun"/> validates without storing.</summary>
    public Task<Cluster> CreateAsync(Cluster cluster, string? fieldManager = null, bool dryRun = false, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.CreateClusterCustomObjectAsync<Cluster>(
            cluster, G, V, P, dryRun: DryRun(dryRun), fieldManager: fieldManager, cancellationToken: cancellationToken));

    /// <summary>Reads one cluster; throws 404 NotFound when there is none of that name.</summary>
    public Task<Cluster> GetAsync(string name, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.GetClusterCustomObjectAsync<Cluster>(G, V, P, name, cancellationToken));

    /// <summary>
    /// Lists clusters, optionally filtered by a label selector (<c>env in (prod,staging)</c>) and a field selector
    /// (<c>metadata.name=x</c>), one page at a time when <paramref name="limit"/> is set (pass the previous page's
    /// <c>Metadata.Continue</c> as <paramref name="continueToken"/>).
    /// </summary>
    public Task<ClusterList> ListAsync(string? labelSelector = null, string? fieldSelector = null, int? limit = null,
        string? continueToken = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.ListClusterCustomObjectAsync<ClusterList>(
            G, V, P, continueParameter: continueToken, fieldSelector: fieldSelector, labelSelector: labelSelector,
            limit: limit, cancellationToken: cancellationToken));

    /// <summary>
    /// Replaces a cluster (PUT) with optimistic concurrency: <c>metadata.resourceVersion</c> must be the stored one, or
    /// the call throws 409 Conflict. Status is kept by the server; use <see cref="ReplaceStatusAsync"/> for it.
    /// </summary>
    public Task<Cluster> ReplaceAsync(Cluster cluster, string? fieldManager = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.ReplaceClusterCustomObjectAsync<Cluster>(
            cluster, G, V, P, NameOf(cluster), fieldManager: fieldManager, cancellationToken: cancellationToken));

    /// <summary>Replaces the status subresource (PUT .../status); only <c>status</c> is taken from <paramref name="cluster"/>.</summary>
    public Task<Cluster> ReplaceStatusAsync(Cluster cluster, string? fieldManager = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.ReplaceClusterCustomObjectStatusAsync<Cluster>(
            cluster, G, V, P, NameOf(cluster), fieldManager: fieldManager, cancellationToken: cancellationToken));

    /// <summary>
    /// Server-side apply (<c>application/apply-patch+yaml</c>): <paramref name="cluster"/> holds only the fields
    /// <paramref name="fieldManager"/> owns; fields it applied before and leaves out are removed. A conflict with another
    /// manager throws 409 unless <paramref name="force"/> takes the fields over. Creates the cluster if missing.
    /// </summary>
    public Task<Cluster> ApplyAsync(Cluster cluster, string fieldManager, bool force = false, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.PatchClusterCustomObjectAsync<Cluster>(
            ApplyPatch(cluster), G, V, P, NameOf(cluster), fieldManager: fieldManager, force: force, cancellationToken: cancellationToken));

    /// <summary>Server-side apply of the status subresource, as <see cref="ApplyAsync"/> for <c>status</c>.</summary>
    public Task<Cluster> ApplyStatusAsync(Cluster cluster, string fieldManager, bool force = false, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.PatchClusterCustomObjectStatusAsync<Cluster>(
            ApplyPatch(cluster), G, V, P, NameOf(cluster), fieldManager: fieldManager, force: force, cancellationToken: cancellationToken));

    /// <summary>
    /// JSON merge patch (RFC 7386): <paramref name="patch"/> is a JSON string or an object serialized as one; a null
    /// value removes a field, lists are replaced whole.
    /// </summary>
    public Task<Cluster> MergePatchAsync(string name, object patch, string? fieldManager = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.PatchClusterCustomObjectAsync<Cluster>(
            MergePatch(patch), G, V, P, name, fieldManager: fieldManager, cancellationToken: cancellationToken));

    /// <summary>JSON merge patch of the status subresource.</summary>
    public Task<Cluster> MergePatchStatusAsync(string name, object patch, string? fieldManager = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.PatchClusterCustomObjectStatusAsync<Cluster>(
            MergePatch(patch), G, V, P, name, fieldManager: fieldManager, cancellationToken: cancellationToken));

    /// <summary>
    /// Deletes a cluster. With finalizers present the server only marks it (deletionTimestamp) and it disappears
    /// once they are removed; <paramref name="options"/> carries preconditions (uid, resourceVersion) and dryRun.
    /// </summary>
    public Task DeleteAsync(string name, V1DeleteOptions? options = null, CancellationToken cancellationToken = default) =>
        ApiErrors.Call(() => _kubernetes.CustomObjects.DeleteClusterCustomObjectAsync(
            G, V, P, name, options ?? new V1DeleteOptions(), cancellationToken: cancellationToken));

    /// <summary>
    /// Watches clusters from <paramref name="resourceVersion"/> (a list's <c>Metadata.ResourceVersion</c>; null or
    /// empty starts with a synthetic ADDED per existing cluster). With <paramref name="allowBookmarks"/> the server
    /// sends BOOKMARK events that move the resourceVersion forward while nothing matching changes. The sequence ends
    /// when the server closes the watch (its timeout, <paramref name="timeoutSeconds"/>); it throws a
    /// <see cref="KubernetesException"/> for an ERROR event — 410 Expired means the resourceVersion was compacted:
    /// list again and watch from the list's resourceVersion (as <see cref="Informer.ClusterInformer"/> does).
    /// </summary>
    public async IAsyncEnumerable<ClusterWatchEvent> WatchAsync(string? resourceVersion = null, string? labelSelector = null,
        string? fieldSelector = null, bool allowBookmarks = true, int? timeoutSeconds = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Exception? error = null;
        // KubernetesClient reports an ERROR event (a Status object) through onError and goes on reading; the server
        // ends the stream after it, so the first error is thrown once the stream is over.
        var events = _kubernetes.CustomObjects.WatchListClusterCustomObjectAsync(
            G, V, P, allowWatchBookmarks: allowBookmarks, fieldSelector: fieldSelector, labelSelector: labelSelector,
            resourceVersion: string.IsNullOrEmpty(resourceVersion) ? null : resourceVersion, timeoutSeconds: timeoutSeconds,
            onError: e => error ??= e, cancellationToken: cancellationToken);
        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (error is null)
        {
            (WatchEventType Type, object Object) next;
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false)) break;
                next = enumerator.Current;
            }
            catch (HttpOperationException e)
            {
                throw ApiErrors.FromResponse(e.Response.StatusCode, e.Response.Content);
            }
            if (error is not null) break;
            // The untyped watch hands over each object as parsed JSON; the typed model is read from it.
            var cluster = next.Object is JsonElement json ? KubernetesJson.Deserialize<Cluster>(json) : KubernetesJson.Deserialize<Cluster>(KubernetesJson.Serialize(next.Object));
            yield return new ClusterWatchEvent(next.Type, cluster);
        }
        if (error is not null) throw error;
    }

    /// <summary>
    /// The kubeconfig for one cluster (<c>GET clusters/{name}/kubeconfig</c>): its endpoint for this client's address,
    /// its CA, and an auth-provider user stanza; never credentials. Needs <c>get</c> on <c>clusters/kubeconfig</c>.
    /// </summary>
    public Task<ExportedKubeconfig> GetKubeconfigAsync(string name, CancellationToken cancellationToken = default) =>
        GetKubeconfigDocumentAsync($"{Uri.EscapeDataString(name)}/kubeconfig", cancellationToken);

    /// <summary>
    /// One kubeconfig with a context per cluster matching the selectors (<c>GET clusters/-/kubeconfig</c>); clusters
    /// with no endpoint for this client's address are left out with a warning. Needs <c>list</c> on <c>clusters/kubeconfig</c>.
    /// </summary>
    public Task<ExportedKubeconfig> ExportKubeconfigAsync(string? labelSelector = null, string? fieldSelector = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(labelSelector)) query.Add("labelSelector=" + Uri.EscapeDataString(labelSelector));
        if (!string.IsNullOrEmpty(fieldSelector)) query.Add("fieldSelector=" + Uri.EscapeDataString(fieldSelector));
        return GetKubeconfigDocumentAsync("-/kubeconfig" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken);
    }

    private async Task<ExportedKubeconfig> GetKubeconfigDocumentAsync(string relative, CancellationToken cancellationToken)
    {
        var baseUri = _kubernetes.BaseUri.ToString().TrimEnd('/') + "/";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(baseUri), $"apis/{G}/{V}/{P}/{relative}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/yaml"));
        // The generated operations add credentials per request; a raw request must do the same.
        if (_kubernetes.Credentials is not null)
            await _kubernetes.Credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        using var response = await _kubernetes.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw ApiErrors.FromResponse(response.StatusCode, body);
        var warnings = response.Headers.TryGetValues("Warning", out var values) ? values.Select(WarningText).ToList() : [];
        return new ExportedKubeconfig(body, KubernetesYaml.Deserialize<k8s.KubeConfigModels.K8SConfiguration>(body), warnings);
    }

    // RFC 7234 warning: 299 - "text"; the text is what a user reads.
    private static string WarningText(string header)
    {
        var start = header.IndexOf('"');
        var end = header.LastIndexOf('"');
        return start >= 0 && end > start ? header[(start + 1)..end].Replace("\\\"", "\"") : header;
    }

    private static string? DryRun(bool dryRun) => dryRun ? "All" : null;

    private static string NameOf(Cluster cluster) =>
        cluster.Metadata?.Name is { Length: > 0 } name ? name : throw new ArgumentException("metadata.name is required", nameof(cluster));

    // KubernetesClient writes a string patch body verbatim; JSON is valid apply YAML.
    private static V1Patch ApplyPatch(Cluster cluster) => new(KubernetesJson.Serialize(cluster), V1Patch.PatchType.ApplyPatch);

    private static V1Patch MergePatch(object patch) =>
        new(patch as string ?? KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch);

    /// <summary>Disposes the underlying client when this client created it.</summary>
    public void Dispose()
    {
        if (_ownsKubernetes) _kubernetes.Dispose();
    }
}
