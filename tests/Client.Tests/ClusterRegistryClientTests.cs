using System.Threading.Channels;
using ClusterRegistry.Client;
using ClusterRegistry.Client.Models;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Tests.Client;

/// <summary>The typed client's calls against the real server, each checked by reading back what the server stored.</summary>
[Collection(RegistryServerCollection.Name)]
public sealed class ClusterRegistryClientTests(RegistryServerFixture fixture) : IDisposable
{
    private readonly ClusterRegistryClient _client = fixture.CreateClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task CreateGetReplaceDelete_RoundTripsTypedObjects()
    {
        var name = TestClusters.UniqueName("crud");
        var cluster = TestClusters.New(name, new Dictionary<string, string> { ["team"] = "a" });
        cluster.Spec!.KubernetesApiEndpoints!.CaBundle = "not checked by the client"u8.ToArray();
        cluster.Spec.AuthInfo = new AuthInfo
        {
            Providers = [new AuthProviderConfig { Name = "sso", Type = new AuthProviderType { Name = "oidc" }, Config = new Dictionary<string, string> { ["issuer"] = "https://issuer.example" } }],
        };

        var ex = await Assert.ThrowsAsync<KubernetesException>(() => _client.CreateAsync(cluster));
        Assert.Equal((422, "Invalid"), (ex.Status.Code, ex.Status.Reason));
        cluster.Spec.KubernetesApiEndpoints.CaBundle = null;

        var created = await _client.CreateAsync(cluster);
        Assert.Equal(("clusterregistry.k8s.io/v1alpha1", "Cluster", 1L), (created.ApiVersion, created.Kind, created.Metadata.Generation));
        Assert.False(string.IsNullOrEmpty(created.Metadata.Uid));
        Assert.NotNull(created.Metadata.CreationTimestamp);

        var got = await _client.GetAsync(name);
        Assert.Equal(created.Metadata.ResourceVersion, got.Metadata.ResourceVersion);
        Assert.Equal("192.0.2.10:6443", got.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);
        Assert.Equal("0.0.0.0/0", got.Spec.KubernetesApiEndpoints.ServerEndpoints[0].ClientCidr);
        var provider = Assert.Single(got.Spec.AuthInfo!.Providers!);
        Assert.Equal(("sso", "oidc", "https://issuer.example"), (provider.Name, provider.Type!.Name, provider.Config!["issuer"]));

        got.Spec.KubernetesApiEndpoints.ServerEndpoints[0].ServerAddress = "192.0.2.20:6443";
        var replaced = await _client.ReplaceAsync(got);
        Assert.Equal(("192.0.2.20:6443", 2L), (replaced.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress, replaced.Metadata.Generation));

        // The object read before the replace is stale now: optimistic concurrency answers 409.
        var conflict = await Assert.ThrowsAsync<KubernetesException>(() => _client.ReplaceAsync(created));
        Assert.Equal((409, "Conflict"), (conflict.Status.Code, conflict.Status.Reason));

        await _client.DeleteAsync(name);
        var missing = await Assert.ThrowsAsync<KubernetesException>(() => _client.GetAsync(name));
        Assert.Equal((404, "NotFound"), (missing.Status.Code, missing.Status.Reason));
    }

    [Fact]
    public async Task List_WithLabelAndFieldSelectors_ReturnsOnlyMatchingAndPages()
    {
        var label = TestClusters.UniqueValue();
        var mine = new[] { TestClusters.UniqueName("list"), TestClusters.UniqueName("list"), TestClusters.UniqueName("list") };
        foreach (var n in mine) await _client.CreateAsync(TestClusters.New(n, new Dictionary<string, string> { ["sel"] = label }));
        await _client.CreateAsync(TestClusters.New(TestClusters.UniqueName("list"), new Dictionary<string, string> { ["sel"] = label + "x" }));

        var byLabel = await _client.ListAsync(labelSelector: $"sel={label}");
        Assert.Equal(mine.Order(), byLabel.Items.Select(c => c.Metadata.Name).Order());
        Assert.Equal("ClusterList", byLabel.Kind);
        Assert.False(string.IsNullOrEmpty(byLabel.Metadata.ResourceVersion));

        var byField = await _client.ListAsync(labelSelector: $"sel in ({label},{label}x)", fieldSelector: $"metadata.name={mine[1]}");
        Assert.Equal([mine[1]], byField.Items.Select(c => c.Metadata.Name));

        var first = await _client.ListAsync(labelSelector: $"sel={label}", limit: 2);
        Assert.Equal(2, first.Items.Count);
        var rest = await _client.ListAsync(labelSelector: $"sel={label}", limit: 2, continueToken: first.Metadata.ContinueProperty);
        Assert.Equal(mine.Order(), first.Items.Concat(rest.Items).Select(c => c.Metadata.Name).Order());
    }

    [Fact]
    public async Task StatusCalls_ChangeOnlyStatus()
    {
        var name = TestClusters.UniqueName("status");
        var created = await _client.CreateAsync(TestClusters.New(name));

        created.Status = new ClusterStatus { Conditions = [new ClusterCondition { Type = "Ready", Status = "True", Reason = "Probed", LastHeartbeatTime = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc) }] };
        created.Metadata.Labels = new Dictionary<string, string> { ["ignored"] = "by-status" };
        var replaced = await _client.ReplaceStatusAsync(created);
        var condition = Assert.Single(replaced.Status!.Conditions!);
        Assert.Equal(("Ready", "True", "Probed"), (condition.Type, condition.Status, condition.Reason));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), condition.LastHeartbeatTime!.Value.ToUniversalTime());
        Assert.Null(replaced.Metadata.Labels);
        Assert.Equal(1L, replaced.Metadata.Generation);

        var patched = await _client.MergePatchStatusAsync(name, new { status = new { conditions = new[] { new { type = "Ready", status = "False", message = "down" } } } });
        Assert.Equal(("False", "down"), (patched.Status!.Conditions![0].Status, patched.Status.Conditions[0].Message));

        var applied = await _client.ApplyStatusAsync(new Cluster
        {
            Metadata = new V1ObjectMeta { Name = name },
            Status = new ClusterStatus { Conditions = [new ClusterCondition { Type = "Ready", Status = "Unknown" }] },
        }, "prober", force: true);
        Assert.Equal("Unknown", Assert.Single(applied.Status!.Conditions!).Status);
        Assert.Contains(applied.Metadata.ManagedFields!, m => m.Manager == "prober" && m.Operation == "Apply" && m.Subresource == "status");
        Assert.Equal("Unknown", (await _client.GetAsync(name)).Status!.Conditions![0].Status);
    }

    [Fact]
    public async Task ServerSideApply_CreatesOwnsConflictsAndForces()
    {
        var name = TestClusters.UniqueName("apply");
        var intent = TestClusters.New(name, new Dictionary<string, string> { ["owner"] = "ci" });

        var created = await _client.ApplyAsync(intent, "deployer");
        Assert.Equal("ci", created.Metadata.Labels!["owner"]);
        Assert.Contains(created.Metadata.ManagedFields!, m => m.Manager == "deployer" && m.Operation == "Apply");

        // Applying the same intent again changes nothing it owns. (kube-apiserver also keeps the resourceVersion of a
        // no-op apply; this server bumps it, reported separately, so the test does not pin that.)
        var again = await _client.ApplyAsync(intent, "deployer");
        Assert.Equal(created.Metadata.Generation, again.Metadata.Generation);
        Assert.Equal(created.Metadata.Labels, again.Metadata.Labels);

        var rival = TestClusters.New(name, address: "192.0.2.99:6443");
        var conflict = await Assert.ThrowsAsync<KubernetesException>(() => _client.ApplyAsync(rival, "intruder"));
        Assert.Equal((409, "Conflict"), (conflict.Status.Code, conflict.Status.Reason));
        Assert.Contains("deployer", conflict.Status.Message);

        var forced = await _client.ApplyAsync(rival, "intruder", force: true);
        Assert.Equal("192.0.2.99:6443", forced.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);

        // The deployer no longer applies the label: the field it owned alone goes away.
        var withoutLabel = TestClusters.New(name, address: "192.0.2.99:6443");
        var dropped = await _client.ApplyAsync(withoutLabel, "deployer", force: true);
        Assert.True(dropped.Metadata.Labels is null || !dropped.Metadata.Labels.ContainsKey("owner"));
    }

    [Fact]
    public async Task MergePatch_StringAndObjectBodies_AndRemovesWithNull()
    {
        var name = TestClusters.UniqueName("merge");
        await _client.CreateAsync(TestClusters.New(name, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));

        var patched = await _client.MergePatchAsync(name, """{"metadata":{"labels":{"a":null,"c":"3"}}}""", fieldManager: "editor");
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }, patched.Metadata.Labels);
        Assert.Contains(patched.Metadata.ManagedFields!, m => m.Manager == "editor" && m.Operation == "Update");

        var viaObject = await _client.MergePatchAsync(name, new { metadata = new { annotations = new Dictionary<string, string> { ["note"] = "typed" } } });
        Assert.Equal("typed", viaObject.Metadata.Annotations!["note"]);
        Assert.Equal(patched.Metadata.Generation, viaObject.Metadata.Generation);
    }

    [Fact]
    public async Task Models_WorkWithKubernetesClientGenericClient()
    {
        var name = TestClusters.UniqueName("generic");
        using var generic = _client.CreateGenericClient();

        var created = await generic.CreateAsync(TestClusters.New(name, new Dictionary<string, string> { ["via"] = "generic" }), CancellationToken.None);
        Assert.Equal(name, created.Metadata.Name);
        var read = await generic.ReadAsync<Cluster>(name, CancellationToken.None);
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        var list = await generic.ListAsync<ClusterList>("via=generic", null, null, null, CancellationToken.None);
        Assert.Contains(list.Items, c => c.Metadata.Name == name);
        Assert.Equal("generic", read.GetLabel("via"));
        Assert.Equal("clusterregistry.k8s.io", read.ApiGroup());
    }

    [Fact]
    public async Task Watch_DeliversTypedEventsWithResourceVersionsAndBookmarks()
    {
        var label = TestClusters.UniqueValue();
        var name = TestClusters.UniqueName("watch");
        var start = (await _client.ListAsync(labelSelector: $"w={label}")).Metadata.ResourceVersion;
        var events = Channel.CreateUnbounded<ClusterWatchEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in _client.WatchAsync(start, labelSelector: $"w={label}", timeoutSeconds: 60, cancellationToken: cts.Token))
                    await events.Writer.WriteAsync(e);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                events.Writer.TryComplete();
            }
        });

        var created = await _client.CreateAsync(TestClusters.New(name, new Dictionary<string, string> { ["w"] = label }));
        var modified = await _client.MergePatchAsync(name, """{"metadata":{"annotations":{"step":"2"}}}""");
        await _client.DeleteAsync(name);

        var received = new List<ClusterWatchEvent>();
        ClusterWatchEvent? bookmark = null;
        while (received.Count < 3 || bookmark is null)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var e = await events.Reader.ReadAsync(wait.Token);
            if (e.Type == WatchEventType.Bookmark) bookmark ??= received.Count == 3 ? e : null;
            else received.Add(e);
        }
        await cts.CancelAsync();
        await pump;

        Assert.Equal([WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted], received.Select(e => e.Type));
        Assert.All(received, e => Assert.Equal(name, e.Object.Metadata.Name));
        Assert.Equal(created.Metadata.ResourceVersion, received[0].ResourceVersion);
        Assert.Equal(modified.Metadata.ResourceVersion, received[1].ResourceVersion);
        Assert.Equal("2", received[1].Object.Metadata.Annotations!["step"]);
        Assert.Equal("192.0.2.10:6443", received[0].Object.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0].ServerAddress);
        // A bookmark after the delete carries a resourceVersion at least as new as the delete's.
        Assert.True(long.Parse(bookmark.ResourceVersion!) >= long.Parse(received[2].ResourceVersion!), $"{bookmark.ResourceVersion} < {received[2].ResourceVersion}");
    }

    [Fact]
    public async Task KubeconfigExport_TypedForOneClusterAndForASelection()
    {
        var label = TestClusters.UniqueValue();
        var names = new[] { TestClusters.UniqueName("kc"), TestClusters.UniqueName("kc") };
        foreach (var n in names) await _client.CreateAsync(TestClusters.New(n, new Dictionary<string, string> { ["kc"] = label }));

        var one = await _client.GetKubeconfigAsync(names[0]);
        Assert.Equal(names[0], one.Config.CurrentContext);
        Assert.Equal("https://192.0.2.10:6443", Assert.Single(one.Config.Clusters).ClusterEndpoint.Server);

        var merged = await _client.ExportKubeconfigAsync(labelSelector: $"kc={label}");
        Assert.Equal(names.Order(), merged.Config.Contexts.Select(c => c.Name).Order());
        Assert.Empty(merged.Warnings);

        var missing = await Assert.ThrowsAsync<KubernetesException>(() => _client.GetKubeconfigAsync(TestClusters.UniqueName("none")));
        Assert.Equal(404, missing.Status.Code);
    }
}
