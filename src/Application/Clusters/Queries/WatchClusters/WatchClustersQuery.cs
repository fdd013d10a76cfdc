using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using FluentValidation;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.WatchClusters;

/// <summary>WATCH clusters: a stream of events until the caller's token is cancelled (timeout or disconnect).</summary>
public sealed record WatchClustersQuery(ListParameters Parameters) : IStreamQuery<ClusterWatchEvent>, IResourceRequest, IOptionsRequest
{
    public string Verb => "watch";
    public string? Name => null;
    public string? Subresource => null;
    public string OptionsKind => "ListOptions";
}

/// <summary>One watch event: <see cref="Object"/> for ADDED/MODIFIED/DELETED/BOOKMARK, <see cref="Error"/> for ERROR.</summary>
public sealed record ClusterWatchEvent(string Type, SharedCluster? Object, Status? Error = null)
{
    /// <summary>
    /// The first item of every stream, yielded once the request passed validation and authorization: it lets the
    /// HTTP layer answer errors with a plain Status before it commits to a 200 stream. It is not sent to clients.
    /// </summary>
    public static readonly ClusterWatchEvent Started = new("", null);

    /// <summary>
    /// Marks the end of the initial events (the current state sent as ADDED): what follows are live changes, which a
    /// watcher must keep up with or be closed. It is not sent to clients.
    /// </summary>
    public static readonly ClusterWatchEvent Live = new("", null);
}

public sealed class WatchClustersQueryValidator : AbstractValidator<WatchClustersQuery>
{
    public WatchClustersQueryValidator()
    {
        RuleFor(q => q.Parameters).SetValidator(new ListParametersValidator()).OverridePropertyName("");
    }
}

/// <summary>Watch tuning; the bookmark interval is how often an idle watch reports progress.</summary>
public sealed class WatchOptions
{
    private BookmarkClock? _clock;

    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The one timer every watch with bookmarks shares, started on first use.</summary>
    public BookmarkClock Clock => LazyInitializer.EnsureInitialized(ref _clock, () => new BookmarkClock(BookmarkInterval));

    /// <summary>
    /// How many live events may wait for one watcher's client; a watcher that falls further behind is closed (its
    /// client re-watches or re-lists), as kube-apiserver closes unresponsive watchers, so a client that stops
    /// reading holds a bounded amount of memory and never slows the others.
    /// </summary>
    public int BufferedEvents { get; set; } = 256;
}
