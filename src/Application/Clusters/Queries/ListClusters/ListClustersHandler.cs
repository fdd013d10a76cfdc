using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>
/// Lists with kube-apiserver's resourceVersion semantics: unset = latest (consistent), "0" = any, N with a limit
/// or Exact = the state at N, N otherwise = not older than N; pages read at the first page's revision.
/// </summary>
public sealed class ListClustersHandler(IObjectStorage storage) : IQueryHandler<ListClustersQuery, ClusterVersionList>
{
    private const string ContinueExpired =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

    public async ValueTask<ClusterVersionList> Handle(ListClustersQuery query, CancellationToken ct)
    {
        var p = query.Parameters;
        var selection = ClusterSelection.Parse(p.LabelSelector, p.FieldSelector);
        long revision = 0;
        long? notOlderThan = null;
        string? after = null;
        if (!string.IsNullOrEmpty(p.Continue))
        {
            var token = ContinueToken.Decode(p.Continue);
            (revision, after) = (token.Revision, token.StartAfter);
        }
        else if (ResourceVersion.TryParse(p.ResourceVersion, out var rv) && rv > 0)
        {
            if (p.ResourceVersionMatch == "Exact" || (p.Limit > 0 && string.IsNullOrEmpty(p.ResourceVersionMatch)))
            {
                revision = rv;
            }
            else
            {
                await ResourceVersionWait.UntilAtLeastAsync(storage, rv, ct);
                notOlderThan = rv;
            }
        }
        else if (p.ResourceVersion == "0")
        {
            notOlderThan = 0; // any state will do: the watch cache answers from memory
        }

        // A single-name field selector reads one key instead of the whole prefix.
        StoredPage page;
        try
        {
            page = await storage.ListAsync(ClusterKeys.Prefix,
                new ListRange(revision, after, (int)Math.Clamp(p.Limit, 0, int.MaxValue), selection.ToFilter(), selection.Labels, notOlderThan), ct);
        }
        catch (StorageException e) when (e.Code == StorageErrorCode.Expired)
        {
            throw ApiErrors.Expired(!string.IsNullOrEmpty(p.Continue) ? ContinueExpired : $"too old resource version: {revision} ({e.CurrentRevision})");
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, "", "list");
        }

        var meta = new ListMeta { ResourceVersion = ResourceVersion.Format(page.Revision) };
        var items = new SharedCluster[page.Items.Count];
        for (var i = 0; i < items.Length; i++) items[i] = SharedCluster.Of(page.Items[i]);
        if (page.HasMore && page.Items.Count > 0)
        {
            meta.Continue = new ContinueToken(page.Revision, page.Items[^1].Key).Encode();
            if (selection.IsEverything && page.RemainingCount is > 0) meta.RemainingItemCount = page.RemainingCount;
        }
        return new ClusterVersionList(meta, items);
    }
}
