using System.Collections.Concurrent;
using ClusterRegistry.Client;
using ClusterRegistry.Client.Informer;
using ClusterRegistry.Client.Models;
using k8s;

namespace ClusterRegistry.Tests.Client;

/// <summary>
/// The informer against a real server that compacts every second: its cache must equal a fresh list after the
/// changes it saw, and after changes it missed while cut off long enough for its resourceVersion to be compacted.
/// </summary>
public sealed class ClusterInformerTests(CompactingServerFixture fixture) : IClassFixture<CompactingServerFixture>
{
    private readonly ClusterRegistryClient _client = fixture.CreateClient();

    /// <summary>The informer's view: name → resourceVersion, from its store.</summary>
    private static Dictionary<string, string> View(ClusterInformer informer) =>
        informer.Store.List().ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion);

    private async Task<Dictionary<string, string>> FreshAsync(string selector) =>
        (await _client.ListAsync(labelSelector: selector)).Items.ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion);

    private async Task WaitConvergedAsync(ClusterInformer informer, string selector)
    {
        Dictionary<string, string> fresh = [];
        await TestClusters.WaitUntilAsync(async () =>
        {
            fresh = await FreshAsync(selector);
            var view = View(informer);
            return view.Count == fresh.Count && fresh.All(f => view.GetValueOrDefault(f.Key) == f.Value);
        }, () => $"cache {string.Join(",", View(informer))} != list {string.Join(",", fresh)}");
    }

    private static Cluster Labelled(string name, string label) => TestClusters.New(name, new Dictionary<string, string> { ["inf"] = label });

    [Fact]
    public async Task Informer_SyncsThenFollowsChanges_WithHandlers()
    {
        var label = TestClusters.UniqueValue();
        var selector = $"inf={label}";
        var existing = TestClusters.UniqueName("inf");
        await _client.CreateAsync(Labelled(existing, label));
        await _client.CreateAsync(TestClusters.New(TestClusters.UniqueName("inf"), new Dictionary<string, string> { ["inf"] = "other" }));

        var log = new ConcurrentQueue<string>();
        var informer = new ClusterInformer(_client, new ClusterInformerOptions { LabelSelector = selector });
        informer.Added += c => log.Enqueue("add " + c.Metadata.Name);
        informer.Updated += (o, n) => log.Enqueue($"update {n.Metadata.Name} {o.Metadata.ResourceVersion}->{n.Metadata.ResourceVersion}");
        informer.Deleted += c => log.Enqueue("delete " + c.Metadata.Name);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = informer.RunAsync(cts.Token);

        await informer.WaitForSyncAsync(cts.Token);
        Assert.True(informer.HasSynced);
        Assert.Equal([existing], informer.Store.ListNames());

        var added = TestClusters.UniqueName("inf");
        await _client.CreateAsync(Labelled(added, label));
        var before = await _client.GetAsync(existing);
        var changed = await _client.MergePatchAsync(existing, """{"metadata":{"annotations":{"x":"1"}}}""");
        await _client.DeleteAsync(added);
        await WaitConvergedAsync(informer, selector);
        await TestClusters.WaitUntilAsync(() => Task.FromResult(log.Count >= 4), () => string.Join("; ", log));

        Assert.Equal(new[]
        {
            "add " + existing,
            "add " + added,
            $"update {existing} {before.Metadata.ResourceVersion}->{changed.Metadata.ResourceVersion}",
            "delete " + added,
        }, log);
        Assert.Equal("1", informer.Store.Get(existing)!.Metadata.Annotations["x"]);
        Assert.Null(informer.Store.Get(added));
        Assert.Equal(1, informer.ListCount);

        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Informer_CutOffPastCompaction_GetsExpiredRelistsAndConverges()
    {
        var label = TestClusters.UniqueValue();
        var selector = $"inf={label}";
        var kept = TestClusters.UniqueName("keep");
        var doomed = TestClusters.UniqueName("doom");
        await _client.CreateAsync(Labelled(kept, label));
        await _client.CreateAsync(Labelled(doomed, label));

        await using var relay = new TcpProxy($"http://127.0.0.1:{fixture.Server.Port}");
        var config = fixture.Config();
        config.Host = $"https://127.0.0.1:{relay.Port}";
        using var cutOffClient = new ClusterRegistryClient(config);
        var deleted = new ConcurrentQueue<string>();
        var added = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<Exception>();
        var informer = new ClusterInformer(cutOffClient, new ClusterInformerOptions
        {
            LabelSelector = selector,
            RetryDelay = TimeSpan.FromMilliseconds(200),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
            OnError = errors.Enqueue,
        });
        informer.Added += c => added.Enqueue(c.Metadata.Name);
        informer.Deleted += c => deleted.Enqueue(c.Metadata.Name);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = informer.RunAsync(cts.Token);
        await informer.WaitForSyncAsync(cts.Token);
        await WaitConvergedAsync(informer, selector);

        // Cut the informer off, change what it watches, and write until its resourceVersion is compacted away.
        relay.Cut();
        var seen = informer.LastSyncResourceVersion!;
        var born = TestClusters.UniqueName("born");
        await _client.CreateAsync(Labelled(born, label));
        await _client.DeleteAsync(doomed);
        var changed = await _client.MergePatchAsync(kept, """{"metadata":{"annotations":{"missed":"yes"}}}""");
        await WaitExpiredAsync(seen, selector, kept);
        Assert.Equal(seen, informer.LastSyncResourceVersion);
        Assert.Equal(0, informer.ExpiredCount);

        relay.Restore();
        await TestClusters.WaitUntilAsync(() => Task.FromResult(informer.ExpiredCount > 0),
            () => $"no 410 seen; errors: {string.Join("; ", errors.Select(e => e.Message))}", seconds: 60);
        await WaitConvergedAsync(informer, selector);

        Assert.True(informer.ListCount >= 2, $"lists: {informer.ListCount}");
        Assert.Contains(errors, e => e is KubernetesException { Status.Code: 410 });
        Assert.Contains(doomed, deleted);
        Assert.Contains(born, added);
        Assert.Equal("yes", informer.Store.Get(kept)!.Metadata.Annotations["missed"]);
        Assert.NotEqual(changed.Metadata.ResourceVersion, seen);

        await cts.CancelAsync();
        await run;
    }

    /// <summary>Writes (to an object in the informer's selection) until a watch from <paramref name="old"/> answers 410.</summary>
    private async Task WaitExpiredAsync(string old, string selector, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            await _client.MergePatchAsync(name, "{\"metadata\":{\"annotations\":{\"tick\":\"" + i + "\"}}}");
            try
            {
                await foreach (var _ in _client.WatchAsync(old, labelSelector: selector, allowBookmarks: false, timeoutSeconds: 1))
                {
                }
            }
            catch (KubernetesException e) when (e.Status.Code == 410)
            {
                return;
            }
            await Task.Delay(300);
        }
        Assert.Fail($"resourceVersion {old} was not compacted within 30 s");
    }

    [Fact]
    public async Task Informer_Resync_HandsEveryCachedClusterToUpdateHandlers()
    {
        var label = TestClusters.UniqueValue();
        var name = TestClusters.UniqueName("resync");
        await _client.CreateAsync(Labelled(name, label));
        var resyncs = new ConcurrentQueue<string>();
        var informer = new ClusterInformer(_client, new ClusterInformerOptions { LabelSelector = $"inf={label}", ResyncPeriod = TimeSpan.FromMilliseconds(200) });
        informer.Updated += (o, n) => { if (ReferenceEquals(o, n)) resyncs.Enqueue(n.Metadata.Name); };
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var run = informer.RunAsync(cts.Token);

        await TestClusters.WaitUntilAsync(() => Task.FromResult(resyncs.Count >= 2), () => $"resyncs: {resyncs.Count}");
        Assert.All(resyncs, n => Assert.Equal(name, n));

        await cts.CancelAsync();
        await run;
    }
}
