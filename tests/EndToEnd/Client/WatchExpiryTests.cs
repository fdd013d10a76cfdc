using System.Diagnostics;
using System.Text.Json;
using ClusterRegistry.Tests.EndToEnd.Http;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.EndToEnd.Client;

/// <summary>
/// The official clients' watch loops across a 410 Expired: the watch from a compacted resourceVersion ends with the
/// Expired Status, the client re-lists and watches from the list's resourceVersion, and its cache converges to the
/// server's state.
/// </summary>
public sealed class CSharpWatchExpiryTests(CompactingServerFixture fixture) : IClassFixture<CompactingServerFixture>
{
    private const string G = Api.Group, V = Api.Version, P = Api.Plural;

    [Fact]
    public async Task CSharpClient_WatchFromCompactedVersion_GetsExpiredThenRelistsAndConverges()
    {
        var label = Api.UniqueValue();
        var old = await fixture.ExpiredResourceVersionAsync(label);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(fixture.Server.Kubeconfig));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var selector = $"exp={label}";

        // 1. The watch from the expired resourceVersion ends after one ERROR event with the 410 Status, which this
        //    client hands to onError as a KubernetesException rather than yielding it.
        var first = new List<WatchEventType>();
        var errors = new List<Exception>();
        await foreach (var (type, _) in client.CustomObjects.WatchListClusterCustomObjectAsync(
                           G, V, P, labelSelector: selector, resourceVersion: old, timeoutSeconds: 10,
                           onError: errors.Add, cancellationToken: cts.Token))
            first.Add(type);

        Assert.Empty(first);
        var expired = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, expired.Status.Code);
        Assert.Equal("Expired", expired.Status.Reason);

        // 2. Re-list, then watch from the list's resourceVersion while the cluster changes: the cache converges.
        var list = JsonSerializer.SerializeToElement(await client.CustomObjects.ListClusterCustomObjectAsync(G, V, P, labelSelector: selector, cancellationToken: cts.Token));
        var cache = list.GetProperty("items").EnumerateArray().ToDictionary(Api.Name, Api.ResourceVersion);
        var name = Assert.Single(cache.Keys);
        var changed = JsonSerializer.SerializeToElement(await client.CustomObjects.PatchClusterCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"after":"relist"}}}""", V1Patch.PatchType.MergePatch), G, V, P, name, cancellationToken: cts.Token));
        await foreach (var (type, obj) in client.CustomObjects.WatchListClusterCustomObjectAsync(
                           G, V, P, labelSelector: selector, resourceVersion: Api.ResourceVersion(list), timeoutSeconds: 10, cancellationToken: cts.Token))
        {
            var o = JsonSerializer.SerializeToElement(obj);
            if (type == WatchEventType.Bookmark) continue;
            cache[Api.Name(o)] = Api.ResourceVersion(o);
            if (cache[name] == Api.ResourceVersion(changed)) break;
        }

        Assert.Equal(Api.ResourceVersion(changed), cache[name]);
        Assert.Single(errors);
    }

}

/// <summary>The same with the official Python client (python3-kubernetes), whose Watch.stream raises the 410 as an ApiException.</summary>
[Requires(Prerequisite.PythonClient)]
public sealed class PythonWatchExpiryTests(CompactingServerFixture fixture) : IClassFixture<CompactingServerFixture>
{
    private const string PythonScript = """
        import sys
        from kubernetes import client, config, watch

        kubeconfig, selector, old = sys.argv[1], sys.argv[2], sys.argv[3]
        G, V, P = "clusterregistry.k8s.io", "v1alpha1", "clusters"
        config.load_kube_config(config_file=kubeconfig)
        api = client.CustomObjectsApi()

        # The usual loop: watch from the last known resourceVersion; on 410 re-list and watch from the list.
        try:
            for event in watch.Watch().stream(api.list_cluster_custom_object, G, V, P, label_selector=selector,
                                              resource_version=old, timeout_seconds=10):
                print("UNEXPECTED", event["type"], flush=True)
        except client.exceptions.ApiException as e:
            print("EXPIRED", e.status, e.reason, flush=True)

        lst = api.list_cluster_custom_object(G, V, P, label_selector=selector)
        cache = {i["metadata"]["name"]: i["metadata"]["resourceVersion"] for i in lst["items"]}
        name = list(cache)[0]
        changed = api.patch_cluster_custom_object(G, V, P, name, {"metadata": {"labels": {"after": "relist"}}})
        want = changed["metadata"]["resourceVersion"]
        w = watch.Watch()
        for event in w.stream(api.list_cluster_custom_object, G, V, P, label_selector=selector,
                              resource_version=lst["metadata"]["resourceVersion"], timeout_seconds=10):
            if event["type"] == "ERROR":
                print("ERROR", event["raw_object"], flush=True)
                break
            if event["type"] == "BOOKMARK":
                continue
            cache[event["object"]["metadata"]["name"]] = event["object"]["metadata"]["resourceVersion"]
            if cache[name] == want:
                w.stop()
        print("CONVERGED" if cache[name] == want else "DIVERGED %s %s" % (cache, want), flush=True)
        """;

    [Fact]
    public async Task PythonClient_WatchFromCompactedVersion_RaisesExpiredThenRelistsAndConverges()
    {
        var label = Api.UniqueValue();
        var old = await fixture.ExpiredResourceVersionAsync(label);
        var script = Path.Combine(fixture.Server.DataDir, "expiry.py");
        await File.WriteAllTextAsync(script, PythonScript);

        var (exit, stdout, stderr) = await PythonRunner.RunAsync(script, fixture.Server.Kubeconfig, $"exp={label}", old);
        var output = $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}";

        Assert.True(exit == 0, output);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("EXPIRED 410 Expired", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("UNEXPECTED", StringComparison.Ordinal) || l.StartsWith("ERROR", StringComparison.Ordinal));
        Assert.Contains("CONVERGED", lines);
    }
}
