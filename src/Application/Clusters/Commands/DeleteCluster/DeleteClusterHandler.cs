using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteCluster;

/// <summary>
/// k8s Store.Delete for a kind without graceful deletion: check preconditions, then either remove the object or,
/// when finalizers remain, mark it with a deletionTimestamp. Propagation policies add no finalizers here: a
/// standalone registry has no garbage collector to remove them.
/// </summary>
public sealed class DeleteClusterHandler(IObjectStorage storage, IClock clock) : ICommandHandler<DeleteClusterCommand, DeleteResult>
{
    private static GroupResource R => ClusterResource.Info;

    public async ValueTask<DeleteResult> Handle(DeleteClusterCommand command, CancellationToken ct) =>
        await DeleteAsync(storage, clock, command.Name, command.Options, ct);

    internal static async ValueTask<DeleteResult> DeleteAsync(IObjectStorage storage, IClock clock, string name, DeleteOptions options, CancellationToken ct)
    {
        var key = ClusterKeys.For(name);
        var dryRun = options.DryRun is { Count: > 0 };
        while (true)
        {
            var stored = await StorageErrors.Guard(() => storage.GetAsync(key, ct), name, "get")
                         ?? throw ApiErrors.NotFound(R, name);
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
                        cluster.Metadata.ResourceVersion = ResourceVersion.Format(
                            await storage.UpdateAsync(key, ClusterCodec.Encode(cluster), stored.Revision, ct));
                    return new DeleteResult(cluster, false);
                }
                if (!dryRun) await storage.DeleteAsync(key, stored.Revision, ct);
                return new DeleteResult(cluster, true);
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
            {
                // Changed in between: check the preconditions against the new state and try again.
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, name, "delete");
            }
        }
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
