using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteCluster;

/// <summary>
/// k8s Store.Delete for a kind without graceful deletion: check preconditions, then either remove the object or,
/// when finalizers remain, mark it with a deletionTimestamp. Propagation policies add no finalizers here: a
/// standalone registry has no garbage collector to remove them. As etcd3's conditional delete with the watch cache's
/// object, the first attempt starts from the cached object (<see cref="UpdateStart"/>); a failed precondition or
/// "nothing to do" found on it is answered only once a consistent read shows the object unchanged.
/// </summary>
public sealed class DeleteClusterHandler(IObjectStorage storage, IClock clock, WriteHorizon horizon) : ICommandHandler<DeleteClusterCommand, DeleteResult>
{
    private static GroupResource R => ClusterResource.Info;

    public async ValueTask<DeleteResult> Handle(DeleteClusterCommand command, CancellationToken ct) =>
        await DeleteAsync(storage, clock, horizon, command.Name, command.Options, ct);

    internal static async ValueTask<DeleteResult> DeleteAsync(IObjectStorage storage, IClock clock, WriteHorizon horizon, string name, DeleteOptions options,
        CancellationToken ct)
    {
        var key = ClusterKeys.For(name);
        var dryRun = options.DryRun is { Count: > 0 };
        var stored = await StorageErrors.Guard(() => UpdateStart.RecentAsync(storage, key, horizon, ct), name, "get");
        var latest = false;
        while (true)
        {
            if (stored is null)
            {
                if (latest) throw ApiErrors.NotFound(R, name);
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                continue;
            }
            if (!latest && AnswersWithoutWriting(stored, options, dryRun, name))
            {
                // Only the latest object may be answered without a compare-and-swap that proves it the latest.
                var seen = stored.Revision;
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                if (stored is null || stored.Revision != seen) continue;
            }
            var cluster = ClusterCodec.Decode(stored);
            CheckPreconditions(options.Preconditions, cluster, name);
            try
            {
                if (cluster.Metadata.Finalizers is { Count: > 0 })
                {
                    if (cluster.Metadata.DeletionTimestamp is not null) return new DeleteResult(cluster, false);
                    cluster.Metadata.DeletionTimestamp = clock.UtcNow;
                    cluster.Metadata.DeletionGracePeriodSeconds = 0;
                    cluster.Metadata.Generation = (cluster.Metadata.Generation ?? 1) + 1;
                    if (!dryRun)
                    {
                        var revision = await storage.UpdateAsync(key, ClusterCodec.Encode(cluster), stored.Revision, ct);
                        horizon.Advance(revision);
                        cluster.Metadata.ResourceVersion = ResourceVersion.Format(revision);
                    }
                    return new DeleteResult(cluster, false);
                }
                if (!dryRun) horizon.Advance(await storage.DeleteAsync(key, stored.Revision, ct));
                return new DeleteResult(cluster, true);
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
            {
                // Changed in between (or the start was stale): check the preconditions against the latest state and try again.
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, name, "delete");
            }
        }
    }

    /// <summary>
    /// Whether the delete would answer from <paramref name="stored"/> without a compare-and-swap: a failed
    /// precondition, an object already being deleted, or a dry run.
    /// </summary>
    private static bool AnswersWithoutWriting(StoredObject stored, DeleteOptions options, bool dryRun, string name)
    {
        if (dryRun) return true;
        var cluster = SharedCluster.Of(stored).Object;
        try
        {
            CheckPreconditions(options.Preconditions, cluster, name);
        }
        catch (ApiStatusException)
        {
            return true;
        }
        return cluster.Metadata is { Finalizers.Count: > 0, DeletionTimestamp: not null };
    }

    // rest.BeforeDelete names the kind, not the resource, in these conflicts.
    private static readonly GroupResource KindAsResource = R with { Resource = R.Kind };

    private static void CheckPreconditions(Preconditions? p, Cluster cluster, string name)
    {
        if (p?.Uid is { } uid && uid != cluster.Metadata.Uid)
            throw ApiErrors.Conflict(KindAsResource, name,
                $"the UID in the precondition ({uid}) does not match the UID in record ({cluster.Metadata.Uid}). The object might have been deleted and then recreated");
        if (p?.ResourceVersion is { } rv && rv != cluster.Metadata.ResourceVersion)
            throw ApiErrors.Conflict(KindAsResource, name,
                $"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({cluster.Metadata.ResourceVersion}). The object might have been modified");
    }
}
