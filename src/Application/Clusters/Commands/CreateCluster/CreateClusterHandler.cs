using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.CreateCluster;

/// <summary>Decodes the body and creates it through the shared create core.</summary>
public sealed class CreateClusterHandler(ClusterCreation creation, IRequestContext context) : ICommandHandler<CreateClusterCommand, Cluster>
{
    public ValueTask<Cluster> Handle(CreateClusterCommand command, CancellationToken ct)
    {
        var cluster = ClusterBodies.Decode(command.Body, command.Options.Mode, context.AddWarning);
        return creation.CreateAsync(cluster, command.Options.IsDryRun, command.Options.Manager, ct);
    }
}
