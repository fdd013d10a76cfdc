using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.GetCluster;

public sealed class GetClusterHandler(IObjectStorage storage) : IQueryHandler<GetClusterQuery, SharedCluster>
{
    public async ValueTask<SharedCluster> Handle(GetClusterQuery query, CancellationToken ct)
    {
        var stored = await StorageErrors.Guard(() => storage.GetAsync(ClusterKeys.For(query.Name), ct), query.Name, "get")
                     ?? throw ApiErrors.NotFound(ClusterResource.Info, query.Name);
        return SharedCluster.Of(stored);
    }
}
