using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.UpdateCluster;

/// <summary>Replaces a cluster (or its status) if the body's resourceVersion is still current.</summary>
public sealed class UpdateClusterHandler(ClusterUpdates updates, IRequestContext context) : ICommandHandler<UpdateClusterCommand, Cluster>
{
    private static GroupResource R => ClusterResource.Info;

    public ValueTask<Cluster> Handle(UpdateClusterCommand command, CancellationToken ct)
    {
        var body = ClusterBodies.Decode(command.Body, command.Options.Mode, context.AddWarning);
        if (!string.IsNullOrEmpty(body.Metadata.Name) && body.Metadata.Name != command.Name)
            throw ApiErrors.NameMismatch(body.Metadata.Name, command.Name);
        body.Metadata.Name = command.Name;
        if (!ClusterStrategy.AllowUnconditionalUpdate && string.IsNullOrEmpty(body.Metadata.ResourceVersion))
            throw ApiErrors.Invalid(R, command.Name,
                [FieldError.Invalid("metadata.resourceVersion", new RawValue("0x0"), "must be specified for an update")]);

        var json = Domain.Meta.ApiJson.Serialize(body);
        return updates.GuaranteedUpdateAsync(command.Name,
            _ => Domain.Meta.ApiJson.Deserialize<Cluster>(json),
            command.Subresource == "status", command.Options.IsDryRun, command.Options.Manager, ct);
    }
}
