using System.Diagnostics.Metrics;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Infrastructure.Storage;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure;

public static class DependencyInjection
{
    /// <summary>The served resource as kube names it in storage metrics (group-qualified plural).</summary>
    private static readonly string ClusterResourceName = Domain.Clusters.ClusterResource.Info.Resource + "." + Domain.Clusters.ClusterResource.Info.Group;

    /// <summary>
    /// Registers an opened store (opened before the host starts, so configuration errors stop the process at once)
    /// and its periodic compaction. Callers get the store behind <see cref="InstrumentedStorage"/> (latency and
    /// object-count metrics), and behind the watch cache in front of that unless <paramref name="watchCache"/> is null
    /// (so the metrics count what reaches the store); the compactors and the object counter use the store directly and
    /// tell the cache what they compacted.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IObjectStorage storage, TimeSpan compactionInterval,
        WatchCacheOptions? watchCache = null)
    {
        services.AddSingleton(sp => new StorageMetrics(sp.GetRequiredService<IMeterFactory>(), ClusterResourceName, storage.Name));
        services.AddSingleton(sp => new InstrumentedStorage(storage, sp.GetRequiredService<StorageMetrics>()));
        if (watchCache is null)
        {
            services.AddSingleton<IObjectStorage>(sp => sp.GetRequiredService<InstrumentedStorage>());
        }
        else
        {
            services.AddSingleton(sp => CachedStorage.Start(sp.GetRequiredService<InstrumentedStorage>(), ClusterKeys.Prefix, watchCache,
                sp.GetRequiredService<ILogger<CachedStorage>>()));
            services.AddSingleton<IObjectStorage>(sp => sp.GetRequiredService<CachedStorage>());
            services.AddHostedService(sp => new WatchCacheStartup(sp.GetRequiredService<CachedStorage>()));
        }
        services.AddSingleton<IHostedService>(sp => new StorageObjectCounter(storage, sp.GetRequiredService<StorageMetrics>(), ClusterKeys.Prefix));
        if (compactionInterval <= TimeSpan.Zero) return services;
        Action<long> Compacted(IServiceProvider sp) => watchCache is null ? _ => { } : sp.GetRequiredService<CachedStorage>().Compacted;
        switch (storage)
        {
            case EmbeddedStorage embedded:
                services.AddSingleton<IHostedService>(sp => new EmbeddedCompactor(embedded, compactionInterval, Compacted(sp)));
                break;
            case EtcdStorage etcd:
                services.AddSingleton<IHostedService>(sp => new EtcdCompactor(etcd, compactionInterval, sp.GetRequiredService<ILogger<EtcdCompactor>>(), Compacted(sp)));
                break;
            case PostgresStorage postgres:
                services.AddSingleton<IHostedService>(sp => new PostgresCompactor(postgres, compactionInterval, sp.GetRequiredService<ILogger<PostgresCompactor>>(), Compacted(sp)));
                break;
        }
        return services;
    }
}
