using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.PatchCluster;

/// <summary>
/// Applies a patch to the latest object and updates it through the shared update core; a resourceVersion inside
/// the patch acts as a precondition, and a lost race re-applies the patch to the new latest object.
/// </summary>
public sealed class PatchClusterHandler(ClusterUpdates updates, IRequestContext context) : ICommandHandler<PatchClusterCommand, Cluster>
{
    public ValueTask<Cluster> Handle(PatchClusterCommand command, CancellationToken ct)
    {
        var patch = Serialization.JsonNodes.FromElement(command.Patch);
        var jsonOps = command.Type == PatchType.Json ? JsonPatch.Parse(patch) : null;
        if (command.Type is PatchType.Merge or PatchType.Strategic && patch is not JsonObject)
            throw ApiErrors.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}: a merge patch must be a JSON object");

        return updates.GuaranteedUpdateAsync(command.Name, (SharedCluster current) =>
        {
            // The version's JSON is what encoding its object gives: parsed, not decoded and encoded again. The
            // document is this attempt's own, so a merge patch goes into it in place.
            var document = Serialization.JsonNodes.ParseSerialized(current.Json.Span)!;
            var patched = command.Type switch
            {
                PatchType.Json => JsonPatch.Apply(document, jsonOps!),
                PatchType.Strategic => StrategicMergePatch.Apply(document, patch, TypeShape.Of(typeof(Cluster)))!,
                _ => JsonMergePatch.ApplyToOwned(document, patch)!,
            };
            // Node to element in UTF-8, without a string in between.
            var cluster = ClusterBodies.Decode(JsonSerializer.SerializeToElement(patched, ApiJson.Options), command.Options.Mode, context.AddWarning);
            if (cluster.Metadata.Name != command.Name)
                throw ApiErrors.NameMismatch(cluster.Metadata.Name, command.Name);
            return cluster;
        }, command.Subresource == "status", command.Options.IsDryRun, command.Options.Manager, ct);
    }
}
