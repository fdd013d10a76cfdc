using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// The update core shared by PUT, PATCH and apply on the resource and its status (k8s Store.Update with
/// rest.BeforeUpdate and etcd3's GuaranteedUpdate): apply the caller's change to the object, check the resourceVersion
/// precondition, run the strategy, and compare-and-swap. The first attempt starts from the watch cache's object
/// (<see cref="UpdateStart"/>), which saves a consistent read per write; a lost race — or a stale start — re-runs the
/// change on the latest object. Every answer other than a stored write (a refusal, a precondition that fails,
/// "nothing to change") is given only once judged against the latest object: from a start that was not read
/// consistently, the object is read again first, and the answer stands only if it had not changed.
/// </summary>
public sealed class ClusterUpdates(IObjectStorage storage, IRequestContext context, IClock clock, WriteHorizon horizon)
{
    private static GroupResource R => ClusterResource.Info;

    /// <param name="name">The object from the URL.</param>
    /// <param name="tryUpdate">Returns the desired object given (a copy of) the latest one; may throw API errors.</param>
    /// <param name="status">True for the status subresource: only status changes.</param>
    /// <param name="dryRun">Validate and return the result without storing it.</param>
    /// <param name="manager">The field manager to record; null when tryUpdate already maintains managedFields (apply).</param>
    /// <param name="ct">Cancels the whole update.</param>
    public async ValueTask<Cluster> GuaranteedUpdateAsync(string name, Func<Cluster, Cluster> tryUpdate, bool status, bool dryRun, string? manager, CancellationToken ct) =>
        await GuaranteedUpdateAsync(name, tryUpdate, status, dryRun, manager, missingIsNull: false, ct) ?? throw ApiErrors.NotFound(R, name);

    /// <summary>
    /// <see cref="GuaranteedUpdateAsync(string, Func{Cluster, Cluster}, bool, bool, string?, CancellationToken)"/>, but
    /// when the object does not exist (read consistently) it returns null instead of answering 404 if
    /// <paramref name="missingIsNull"/> (apply creates the object then).
    /// </summary>
    public ValueTask<Cluster?> GuaranteedUpdateAsync(string name, Func<Cluster, Cluster> tryUpdate, bool status, bool dryRun, string? manager,
        bool missingIsNull, CancellationToken ct) =>
        GuaranteedUpdateAsync(name, (SharedCluster start) => tryUpdate(start.Object), status, dryRun, manager, missingIsNull, ct);

    /// <summary>
    /// <see cref="GuaranteedUpdateAsync(string, Func{Cluster, Cluster}, bool, bool, string?, CancellationToken)"/> with
    /// a change that starts from the latest version as shared (<see cref="SharedCluster"/>): a change that works on the
    /// object's JSON (a patch) parses <see cref="SharedCluster.Json"/> instead of decoding the object and encoding it
    /// again. <see cref="SharedCluster.Object"/> of that version is a private copy the change may keep and alter.
    /// </summary>
    public async ValueTask<Cluster> GuaranteedUpdateAsync(string name, Func<SharedCluster, Cluster> tryUpdate, bool status, bool dryRun,
        string? manager, CancellationToken ct) =>
        await GuaranteedUpdateAsync(name, tryUpdate, status, dryRun, manager, missingIsNull: false, ct) ?? throw ApiErrors.NotFound(R, name);

    private async ValueTask<Cluster?> GuaranteedUpdateAsync(string name, Func<SharedCluster, Cluster> tryUpdate, bool status, bool dryRun,
        string? manager, bool missingIsNull, CancellationToken ct)
    {
        var key = ClusterKeys.For(name);
        const string verb = "update";
        var stored = await StorageErrors.Guard(() => UpdateStart.RecentAsync(storage, key, horizon, ct), name, "get");
        // Whether `stored` was read consistently: only then may an answer other than a stored write be given from it.
        var latest = false;
        while (true)
        {
            if (stored is null)
            {
                if (latest) return missingIsNull ? null : throw ApiErrors.NotFound(R, name);
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                continue;
            }

            // The start is only read (compared, and answered for a no-op): the shared decoded one will do, which the
            // watch cache has usually decoded already. The change works on a private copy.
            var version = SharedCluster.Of(stored);
            var current = version.Object;
            Cluster updated;
            byte[] bytes;
            try
            {
                updated = tryUpdate(version);
                if (string.IsNullOrEmpty(updated.Metadata.ResourceVersion))
                    updated.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                else if (updated.Metadata.ResourceVersion != current.Metadata.ResourceVersion)
                    throw ApiErrors.Conflict(R, name);

                BeforeUpdate(updated, current, status);
                if (manager is not null)
                    FieldManagement.ManagedFields.RecordUpdate(current, updated, manager, status ? "status" : null, clock.UtcNow, version.Json);
                bytes = ClusterCodec.Encode(updated);
                // Growing past the limit is refused; an object stored before the limit existed may still shrink.
                if (bytes.Length > ClusterCodec.MaxObjectBytes && bytes.Length > stored.Value.Length)
                    throw ClusterCodec.TooLarge(bytes.Length);
            }
            catch (ApiStatusException) when (!latest)
            {
                // Refused on a start that may be stale: the refusal stands only if the object has not changed since.
                var refusedAt = stored.Revision;
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                if (stored?.Revision == refusedAt) throw;
                continue;
            }

            if (bytes.AsSpan().SequenceEqual(stored.Value.Span))
            {
                if (latest) return current;
                // Nothing to change in a start that may be stale: judged again on the latest object, unless it is this one.
                var sameAt = stored.Revision;
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                if (stored?.Revision == sameAt) return current;
                continue;
            }

            // A dry run stores nothing, so no compare-and-swap tells it whether its start was the latest.
            if (dryRun && !latest)
            {
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
                continue;
            }
            try
            {
                if (updated.Metadata.DeletionTimestamp is not null && (updated.Metadata.Finalizers?.Count ?? 0) == 0)
                {
                    // The last finalizer is gone from an object being deleted: the update completes the delete.
                    if (!dryRun)
                        updated.Metadata.ResourceVersion = ResourceVersion.Format(Written(await storage.DeleteAsync(key, stored.Revision, ct)));
                    return updated;
                }
                if (dryRun) return updated;
                updated.Metadata.ResourceVersion = ResourceVersion.Format(Written(await storage.UpdateAsync(key, bytes, stored.Revision, ct)));
                return updated;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.Conflict)
            {
                // Someone wrote in between (or the start was stale): re-apply the change to what is there now.
                stored = await StorageErrors.Guard(() => UpdateStart.LatestAsync(storage, key, ct), name, "get");
                latest = true;
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, name, verb);
            }
        }
    }

    private long Written(long revision)
    {
        horizon.Advance(revision);
        return revision;
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
