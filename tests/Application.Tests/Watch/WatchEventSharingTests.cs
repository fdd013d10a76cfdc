using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Tests.ApplicationTests.Support;

namespace ClusterRegistry.Tests.ApplicationTests.Watch;

/// <summary>
/// The watch cache hands every watcher the same version of a change, and the handler reports it with that version's
/// one event object: an update fanned out to thousands of watchers costs one event, not one per watcher. Selectors
/// still decide per watcher what the change is to it.
/// </summary>
public sealed class WatchEventSharingTests
{
    [Fact]
    public async Task WatchersOfOneChange_ShareOneEvent_AndEachSelectorStillDecidesItsType()
    {
        await using var app = await ApplicationHost.StartAsync();
        var a = await app.CreateAsync(Clusters.New("a"));
        await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"dev"}}}""");
        var from = a.Metadata.ResourceVersion;
        await using var all = await LiveAsync(app, new ListParameters(ResourceVersion: from));
        await using var byName = await LiveAsync(app, new ListParameters(ResourceVersion: from, FieldSelector: "metadata.name=a"));
        await using var dev = await LiveAsync(app, new ListParameters(ResourceVersion: from, LabelSelector: "env=dev"));
        // The label change already made (after `from`): one MODIFIED for the two watchers it was already visible to,
        // ADDED for the one it moved "a" into.
        var modifiedForAll = await all.NextAsync();
        Assert.Equal("MODIFIED", modifiedForAll.Type);
        Assert.Same(modifiedForAll, await byName.NextAsync());
        var added = await dev.NextAsync();
        Assert.Equal(("ADDED", modifiedForAll.Object!.ResourceVersion), (added.Type, added.Object!.ResourceVersion));
        Assert.Same(modifiedForAll.Object, added.Object);

        // A change that moves "a" out of env=dev: MODIFIED (shared) for the others, DELETED for that watcher.
        var moved = await app.MergePatchAsync("a", """{"metadata":{"labels":{"env":"prod"}}}""");
        var modified = await all.NextAsync();
        Assert.Same(modified, await byName.NextAsync());
        var deleted = await dev.NextAsync();
        Assert.Equal(("MODIFIED", moved.Metadata.ResourceVersion), (modified.Type, modified.Object!.ResourceVersion));
        Assert.Equal("DELETED", deleted.Type);
        Assert.NotSame(modified, deleted);
    }

    private static async Task<WatchReader> LiveAsync(ApplicationHost app, ListParameters parameters)
    {
        var watch = new WatchReader(app, parameters);
        Assert.Same(ClusterWatchEvent.Started, await watch.NextAsync());
        Assert.Same(ClusterWatchEvent.Live, await watch.NextAsync());
        return watch;
    }
}
