using ClusterRegistry.Tests.EndToEnd.Http;

namespace ClusterRegistry.Tests.EndToEnd.Client;

/// <summary>
/// The official Python client (Debian's python3-kubernetes, installed by CI) against the real server:
/// kubeconfig loading, CustomObjectsApi create/patch/list and watch.Watch().stream with a timeout.
/// </summary>
[Requires(Prerequisite.PythonClient)]
public sealed class PythonClientTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Script = """
        import sys
        from kubernetes import client, config, watch

        kubeconfig, label, created_name = sys.argv[1], sys.argv[2], sys.argv[3]
        G, V, P = "clusterregistry.k8s.io", "v1alpha1", "clusters"
        config.load_kube_config(config_file=kubeconfig)
        api = client.CustomObjectsApi()

        body = {
            "apiVersion": G + "/" + V, "kind": "Cluster",
            "metadata": {"name": created_name, "labels": {"py": label}},
            "spec": {"kubernetesApiEndpoints": {"serverEndpoints": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "10.11.12.13:6443"}]}},
        }
        obj = api.create_cluster_custom_object(G, V, P, body)
        print("CREATED", obj["metadata"]["name"], obj["metadata"]["generation"], flush=True)

        obj = api.patch_cluster_custom_object(G, V, P, created_name, {"metadata": {"labels": {"patched": "yes"}}})
        print("PATCHED", obj["metadata"]["labels"]["patched"], flush=True)

        got = api.get_cluster_custom_object(G, V, P, created_name)
        print("GOT", got["spec"]["kubernetesApiEndpoints"]["serverEndpoints"][0]["serverAddress"], flush=True)

        lst = api.list_cluster_custom_object(G, V, P, label_selector="py=" + label)
        print("LIST", " ".join(sorted(i["metadata"]["name"] for i in lst["items"])), flush=True)
        print("LISTRV", "yes" if lst["metadata"].get("resourceVersion") else "no", flush=True)

        w = watch.Watch()
        for event in w.stream(api.list_cluster_custom_object, G, V, P, label_selector="py=" + label,
                              allow_watch_bookmarks=True, timeout_seconds=3):
            if event is None:
                print("NONE", flush=True)
                continue
            if event["type"] == "BOOKMARK":
                continue
            print("EVENT", event["type"], event["object"]["metadata"]["name"], flush=True)
        print("END", flush=True)

        try:
            api.get_cluster_custom_object(G, V, P, "python-missing-object")
            print("MISSING found", flush=True)
        except client.exceptions.ApiException as e:
            print("MISSING", e.status, flush=True)
        """;

    [Fact]
    public async Task PythonClient_CustomObjectsApiAndWatchStream_SeeClusters()
    {
        var http = fixture.Client;
        var label = Api.UniqueValue();
        var existing = new[] { Api.UniqueName("py-a"), Api.UniqueName("py-b") };
        foreach (var n in existing) await Api.CreateAsync(http, n, new Dictionary<string, string> { ["py"] = label });
        var created = Api.UniqueName("py-c");

        var dir = Directory.CreateTempSubdirectory("cr-e2e-py-");
        try
        {
            var script = Path.Combine(dir.FullName, "client.py");
            await File.WriteAllTextAsync(script, Script);
            var (exit, stdout, stderr) = await PythonRunner.RunAsync(script, fixture.Server.Kubeconfig, label, created);

            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var all = new[] { existing[0], existing[1], created }.Order().ToArray();
            var context = $"exit {exit}\nstdout:\n{stdout}\nstderr:\n{stderr}";
            Assert.True(exit == 0, context);
            Assert.Contains($"CREATED {created} 1", lines);
            Assert.Contains("PATCHED yes", lines);
            Assert.Contains("GOT 10.11.12.13:6443", lines);
            Assert.Contains("LIST " + string.Join(' ', all), lines);
            Assert.Contains("LISTRV yes", lines);
            Assert.DoesNotContain("NONE", lines);
            var events = lines.Where(l => l.StartsWith("EVENT ")).ToArray();
            Assert.Equal(all.Select(n => "EVENT ADDED " + n).Order(), events.Order());
            Assert.Contains("END", lines);
            Assert.Contains("MISSING 404", lines);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
