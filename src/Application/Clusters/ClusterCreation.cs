using System.Security.Cryptography;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.FieldManagement;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// The create core shared by POST and by server-side apply of a missing object (k8s Store.Create with
/// rest.BeforeCreate): fill server fields, run the strategy, record field ownership, store if the name is free.
/// </summary>
public sealed class ClusterCreation(IObjectStorage storage, IClock clock, IRequestContext context, WriteHorizon horizon)
{
    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const int MaxGenerateNameAttempts = 8;
    private static GroupResource R => ClusterResource.Info;

    /// <param name="manager">The field manager to record; null when the caller already set managedFields (apply).</param>
    public async ValueTask<Cluster> CreateAsync(Cluster cluster, bool dryRun, string? manager, CancellationToken ct)
    {
        var m = cluster.Metadata;
        if (!string.IsNullOrEmpty(m.ResourceVersion))
            throw ApiErrors.BadRequest("resourceVersion should not be set on objects to be created");
        var generate = string.IsNullOrEmpty(m.Name) && !string.IsNullOrEmpty(m.GenerateName);
        for (var attempt = 1; ; attempt++)
        {
            if (generate) m.Name = GenerateName(m.GenerateName!);
            Prepare(cluster, manager);
            var bytes = ClusterCodec.EncodeForWrite(cluster);
            if (dryRun) return cluster;
            try
            {
                // The bytes are unique, as the port requires of a create: they carry the fresh uid Prepare gave the object.
                var revision = await storage.CreateAsync(ClusterKeys.For(m.Name!), bytes, ct);
                horizon.Advance(revision);
                m.ResourceVersion = ResourceVersion.Format(revision);
                return cluster;
            }
            catch (StorageException e) when (e.Code == StorageErrorCode.KeyExists && generate)
            {
                if (attempt == MaxGenerateNameAttempts) throw ApiErrors.GenerateNameConflict(R, m.Name!);
            }
            catch (StorageException e)
            {
                throw StorageErrors.Interpret(e, m.Name!, "create");
            }
        }
    }

    private void Prepare(Cluster cluster, string? manager)
    {
        cluster.ApiVersion = R.ApiVersion;
        cluster.Kind = R.Kind;
        var m = cluster.Metadata;
        m.Namespace = null;
        m.Uid = Guid.NewGuid().ToString();
        m.CreationTimestamp = clock.UtcNow;
        m.DeletionTimestamp = null;
        m.DeletionGracePeriodSeconds = null;
        ClusterStrategy.PrepareForCreate(cluster);
        var errors = ClusterStrategy.Validate(cluster);
        if (errors.Count > 0) throw ApiErrors.Invalid(R, m.Name ?? "", errors);
        foreach (var w in ClusterStrategy.WarningsOnCreate(cluster)) context.AddWarning(w);
        ClusterStrategy.Canonicalize(cluster);
        // After canonicalizing, as an update records: empty labels or annotations are not stored, so no manager owns them
        // (recorded first, the next write would drop that ownership and so never be a no-op).
        if (manager is not null) ManagedFields.RecordUpdate(null, cluster, manager, null, clock.UtcNow);
    }

    private static string GenerateName(string prefix)
    {
        const int maxPrefix = 63 - 5; // as k8s names/generate.go
        var p = prefix.Length > maxPrefix ? prefix[..maxPrefix] : prefix;
        return p + string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = NameAlphabet[RandomNumberGenerator.GetInt32(NameAlphabet.Length)];
        });
    }
}
