using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters.Commands.DeleteCluster;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.DeleteClusters;

/// <summary>Deletes each matching cluster as a single delete would; objects already gone are skipped.</summary>
public sealed class DeleteClustersHandler(IObjectStorage storage, IClock clock, WriteHorizon horizon) : ICommandHandler<DeleteClustersCommand, ClusterList>
{
    public async ValueTask<ClusterList> Handle(DeleteClustersCommand command, CancellationToken ct)
    {
        var selection = ClusterSelection.Parse(command.LabelSelector, command.FieldSelector);
        var page = await StorageErrors.Guard(
            () => storage.ListAsync(ClusterKeys.Prefix, new ListRange(Filter: selection.ToFilter(), Labels: selection.Labels), ct), "", "list");
        var result = new ClusterList { Metadata = { ResourceVersion = ResourceVersion.Format(page.Revision) } };
        foreach (var item in page.Items)
        {
            try
            {
                var deleted = await DeleteClusterHandler.DeleteAsync(storage, clock, horizon, ClusterKeys.NameOf(item.Key), command.Options, ct);
                result.Items.Add(deleted.Object);
            }
            catch (ApiStatusException e) when (e.Code == 404)
            {
                // Deleted by someone else in the meantime: nothing left to do for it.
            }
        }
        return result;
    }
}
