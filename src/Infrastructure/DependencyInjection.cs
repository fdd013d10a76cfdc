using System.Diagnostics.Metrics;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Infrastructure.HealthProbing;
using ClusterRegistry.Infrastructure.Storage;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Compaction;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure;

public static class DependencyInjection
{
    /// <summary>The served resource as kube names it in storage metrics (group-qualified plural).</summary>
    private static readonly string ClusterResourceName =
        Domain.Clusters.ClusterResource.Info.Resource + "." + Domain.Clusters.ClusterResource.Info.Group;

    /// <summary>
    /// Registers the infrastructure layer around a store opened by <see cref="StorageBackends.OpenAsync"/> (opened
    /// before the host starts, so configuration errors stop the process at once): the store with its metrics, watch
    /// cache, compaction and failure log.
    /// </summary>
    public static IServiceCollection AddInfrastructure(this IServiceCollection services, InfrastructureOptions options, IObjectStorage storage)
    {
        services.AddStorage(storage, options.CompactionInterval, options.WatchCache);
        services.AddSingleton(sp => StorageBackends.FailureLog(storage, options, sp.GetRequiredService<ILoggerFactory>()));
        services.AddHealthProbing(options.HealthProbing, storage);
        return services;
    }

    /// <summary>
    /// Registers an opened store and its periodic compaction. Callers get the store behind
    /// <see cref="InstrumentedStorage"/> (latency and object-count metrics), and behind the watch cache in front of that
    /// unless <paramref name="watchCache"/> is null (so the metrics count what reaches the store); the compactor and the
    /// object counter use the store directly and tell the cache what they compacted.
    /// </summary>
    private static IServiceCollection AddStorage(this IServiceCollection services, IObjectStorage storage, TimeSpan compactionInterval,
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
        if (compactionInterval > TimeSpan.Zero && StorageBackends.Compaction(storage) is { } compaction)
            services.AddSingleton<IHostedService>(sp => new HistoryCompactor(compaction, compactionInterval,
                sp.GetRequiredService<ILogger<HistoryCompactor>>(), watchCache is null ? null : sp.GetRequiredService<CachedStorage>().Compacted));
        return services;
    }
}
