using System.Diagnostics.Metrics;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Infrastructure.Storage;
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
    /// object-count metrics); the compactors and the object counter use it directly.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IObjectStorage storage, TimeSpan compactionInterval)
    {
        services.AddSingleton(sp => new StorageMetrics(sp.GetRequiredService<IMeterFactory>(), ClusterResourceName, storage.Name));
        services.AddSingleton<IObjectStorage>(sp => new InstrumentedStorage(storage, sp.GetRequiredService<StorageMetrics>()));
        services.AddSingleton<IHostedService>(sp => new StorageObjectCounter(storage, sp.GetRequiredService<StorageMetrics>(), ClusterKeys.Prefix));
        if (compactionInterval <= TimeSpan.Zero) return services;
        switch (storage)
        {
            case EmbeddedStorage embedded:
                services.AddSingleton<IHostedService>(new EmbeddedCompactor(embedded, compactionInterval));
                break;
            case EtcdStorage etcd:
                services.AddSingleton<IHostedService>(sp => new EtcdCompactor(etcd, compactionInterval, sp.GetRequiredService<ILogger<EtcdCompactor>>()));
                break;
            case PostgresStorage postgres:
                services.AddSingleton<IHostedService>(sp => new PostgresCompactor(postgres, compactionInterval, sp.GetRequiredService<ILogger<PostgresCompactor>>()));
                break;
        }
        return services;
    }
}
