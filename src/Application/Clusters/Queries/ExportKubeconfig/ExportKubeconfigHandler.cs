using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

public sealed class ExportKubeconfigHandler(IObjectStorage storage, IRequestContext context) : IQueryHandler<ExportKubeconfigQuery, Kubeconfig>
{
    public async ValueTask<Kubeconfig> Handle(ExportKubeconfigQuery query, CancellationToken ct)
    {
        var stored = await StorageErrors.Guard(() => storage.GetAsync(ClusterKeys.For(query.Name), ct), query.Name, "get")
                     ?? throw ApiErrors.NotFound(ClusterResource.Info, query.Name);
        var builder = new KubeconfigBuilder(query.Client, context.AddWarning);
        // Handing out some other client's endpoint would give a kubeconfig that points nowhere useful; saying so is
        // clearer. 400, as kube-apiserver refuses requests the object's state cannot serve (exec into a finished pod).
        if (!builder.TryAdd(ClusterCodec.Decode(stored)))
            throw ApiErrors.BadRequest($"cluster \"{query.Name}\" has no server endpoint for client address {query.Client?.ToString() ?? "(unknown)"}: no clientCIDR contains it");
        builder.Config.CurrentContext = query.Name;
        return builder.Config;
    }
}

public sealed class ExportKubeconfigsHandler(IObjectStorage storage, IRequestContext context) : IQueryHandler<ExportKubeconfigsQuery, Kubeconfig>
{
    public async ValueTask<Kubeconfig> Handle(ExportKubeconfigsQuery query, CancellationToken ct)
    {
        var selection = ClusterSelection.Parse(query.LabelSelector, query.FieldSelector);
        StoredPage page;
        try
        {
            page = await storage.ListAsync(ClusterKeys.Prefix, new ListRange(Filter: selection.ToFilter(), Labels: selection.Labels), ct);
        }
        catch (StorageException e)
        {
            throw StorageErrors.Interpret(e, "", "list");
        }
        var builder = new KubeconfigBuilder(query.Client, context.AddWarning);
        foreach (var item in page.Items)
        {
            var cluster = SharedCluster.Of(item).Object;
            // One cluster without an endpoint for this caller must not cost the others: leave it out and say so.
            if (!builder.TryAdd(cluster))
                context.AddWarning($"cluster \"{cluster.Metadata.Name}\" left out: no server endpoint for client address {query.Client?.ToString() ?? "(unknown)"}");
        }
        return builder.Config;
    }
}
