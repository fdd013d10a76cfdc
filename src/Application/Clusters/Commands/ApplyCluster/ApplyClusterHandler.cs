using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.FieldManagement;
using ClusterRegistry.Application.Serialization;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.ApplyCluster;

/// <summary>
/// Merges the applied configuration into the live object with field ownership (see <see cref="ManagedFields"/>),
/// creating the object when it does not exist; conflicts are 409 unless forced. A <c>metadata.uid</c> in the applied
/// configuration is a precondition (as in k8s GuaranteedUpdate): the apply then never creates (404 when the object
/// is gone) and a live object with another uid (deleted and re-created under the name) is a 409.
/// </summary>
public sealed class ApplyClusterHandler(ClusterCreation creation, ClusterUpdates updates, IClock clock, IRequestContext context)
    : ICommandHandler<ApplyClusterCommand, ApplyResult>
{
    private static GroupResource R => ClusterResource.Info;

    public async ValueTask<ApplyResult> Handle(ApplyClusterCommand command, CancellationToken ct)
    {
        var applied = Configuration(command);
        var manager = command.Options.FieldManager!;
        var status = command.Subresource == "status";

        var uid = (applied["metadata"] as JsonObject)?["uid"] is JsonValue v && v.TryGetValue<string>(out var u) && u.Length > 0 ? u : null;
        // The update core reads the object (from the watch cache first) and answers null only once a consistent read
        // found it missing: then the apply creates it.
        var updated = await updates.GuaranteedUpdateAsync(command.Name, live =>
        {
            if (uid is not null && uid != live.Metadata.Uid)
                throw ApiErrors.Conflict(R with { Resource = R.Kind }, command.Name,
                    $"the UID in the precondition ({uid}) does not match the UID in record ({live.Metadata.Uid}). The object might have been deleted and then recreated");
            var outcome = ManagedFields.ApplyConfiguration(live, applied, manager, command.Force, command.Subresource, clock.UtcNow);
            if (outcome.Conflicts.Count > 0) throw ManagedFields.ConflictError(outcome.Conflicts);
            return ToCluster(outcome.Merged!);
        }, status, command.Options.IsDryRun, manager: null, missingIsNull: true, ct);
        if (updated is not null) return new ApplyResult(updated, false);

        if (status || uid is not null) throw ApiErrors.NotFound(R, command.Name);
        var created = await creation.CreateAsync(ToCluster(ManagedFields.ApplyConfiguration(null, applied, manager, command.Force, null, clock.UtcNow).Merged!),
            command.Options.IsDryRun, manager: null, ct);
        return new ApplyResult(created, true);
    }

    /// <summary>The applied configuration in canonical field names, checked like any body; status or spec dropped per endpoint.</summary>
    private JsonObject Configuration(ApplyClusterCommand command)
    {
        var body = command.Configuration;
        var decoded = ClusterBodies.Decode(body, command.Options.Mode, context.AddWarning);
        if (decoded.Metadata.Name != command.Name)
            throw string.IsNullOrEmpty(decoded.Metadata.Name)
                ? ApiErrors.BadRequest("metadata.name is required in an applied configuration")
                : ApiErrors.NameMismatch(decoded.Metadata.Name, command.Name);
        if (decoded.Metadata.ManagedFields is not null)
            throw ApiErrors.BadRequest("metadata.managedFields must be nil");
        var problems = new List<string>();
        var canonical = (JsonObject)ObjectDecoder.Canonicalize<Cluster>(body, problems, _ => { });
        if (canonical["metadata"] is JsonObject meta) meta.Remove("namespace");
        if (command.Subresource == "status")
        {
            foreach (var key in canonical.Select(kv => kv.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata" or "status")).ToList())
                canonical.Remove(key);
        }
        else canonical.Remove("status");
        return canonical;
    }

    private static Cluster ToCluster(JsonObject node)
    {
        try
        {
            var cluster = node.Deserialize<Cluster>(ApiJson.Options) ?? throw new JsonException("null");
            ClusterBodies.Normalize(cluster);
            return cluster;
        }
        catch (JsonException e)
        {
            throw ApiErrors.CannotBeHandledAs(R, e.Message);
        }
    }
}
