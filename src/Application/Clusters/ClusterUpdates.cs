using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// The update core shared by PUT and PATCH on the resource and its status (k8s Store.Update with
/// rest.BeforeUpdate): read, apply the caller's change to the latest object, check the resourceVersion
/// precondition, run the strategy, and compare-and-swap. A lost race re-runs the change on the new latest
/// object; a caller-supplied resourceVersion that no longer matches is a 409.
/// </summary>
public sealed class ClusterUpdates(IObjectStorage storage, IRequestContext context, IClock clock)
{
    private static GroupResource R => ClusterResource.Info;

    /// <param name="name">The object from the URL.</param>
    /// <param name="tryUpdate">Returns the desired object given (a copy of) the latest one; may throw API errors.</param>
    /// <param name="status">True for the status subresource: only status changes.</param>
    /// <param name="dryRun">Validate and return the result without storing it.</param>
    /// <param name="manager">The field manager to record; null when tryUpdate already maintains managedFields (apply).</param>
    /// <param name="ct">Cancels the whole update.</param>
    public async ValueTask<Cluster> GuaranteedUpdateAsync(string name, Func<Cluster, Cluster> tryUpdate, bool status, bool dryRun, string? manager, CancellationToken ct)
    {
        var key = ClusterKeys.For(name);
        var verb = "update";
        while (true)
        {
            var stored = await StorageErrors.Guard(() => storage.GetAsync(key, ct), name, "get")
                         ?? throw ApiErrors.NotFound(R, name);
            // The latest version is only read (compared, and answered for a no-op): the shared decoded one will do,
            // which the watch cache has usually decoded already. The change works on a private copy.
            var current = SharedCluster.Of(stored).Object;
            var updated = tryUpdate(ClusterCodec.Decode(stored));

            if (string.IsNullOrEmpty(updated.Metadata.ResourceVersion))
                updated.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
            else if (updated.Metadata.ResourceVersion != current.Metadata.ResourceVersion)
                throw ApiErrors.Conflict(R, name);

            BeforeUpdate(updated, current, status);
            if (manager is not null)
                FieldManagement.ManagedFields.RecordUpdate(current, updated, manager, status ? "status" : null, clock.UtcNow);
            var bytes = ClusterCodec.Encode(updated);
            if (bytes.AsSpan().SequenceEqual(stored.Value.Span))
                return current;
            // Growing past the limit is refused; an object stored before the limit existed may still shrink.
            if (bytes.Length > ClusterCodec.MaxObjectBytes && bytes.Length > stored.Value.Length)
                throw ClusterCodec.TooLarge(bytes.Length);

            try
            {
                if (updated.Metadata.DeletionTimestamp is not null && (updated.Metadata.Finalizers?.Count ?? 0) == 0)
                {
                    // The last finalizer is gone from an object being deleted: the update completes the delete.
                    if (!dryRun)
                        updated.Metadata.ResourceVersion = ResourceVersion.Format(await storage.DeleteAsync(key, stored.Revision, ct));
                    return updated;
                }
                if (dryRun) return updated;
                updated.Metadata.ResourceVersion = ResourceVersion.Format(await storage.UpdateAsync(key, bytes, stored.Revision, ct));
                return updated;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
            {
                // Someone wrote in between: re-apply the change to what is there now.
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, name, verb);
            }
        }
    }

    private void BeforeUpdate(Cluster updated, Cluster old, bool status)
    {
        updated.ApiVersion = R.ApiVersion;
        updated.Kind = R.Kind;
        var m = updated.Metadata;
        m.Namespace = null;
        if (string.IsNullOrEmpty(m.Uid)) m.Uid = old.Metadata.Uid;
        m.CreationTimestamp = old.Metadata.CreationTimestamp;
        m.DeletionTimestamp = old.Metadata.DeletionTimestamp;
        m.DeletionGracePeriodSeconds = old.Metadata.DeletionGracePeriodSeconds;
        m.Generation ??= old.Metadata.Generation;

        if (status) ClusterStrategy.PrepareForStatusUpdate(updated, old);
        else ClusterStrategy.PrepareForUpdate(updated, old);

        var errors = ClusterStrategy.ValidateUpdate(updated, old);
        if (errors.Count > 0) throw ApiErrors.Invalid(R, old.Metadata.Name ?? "", errors);
        foreach (var w in ClusterStrategy.WarningsOnUpdate(updated, old)) context.AddWarning(w);
        ClusterStrategy.Canonicalize(updated);
    }
}
