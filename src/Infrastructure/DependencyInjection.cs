using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure;

public static class DependencyInjection
{
    /// <summary>
    /// Registers an opened store (opened before the host starts, so configuration errors stop the process at once)
    /// and its periodic compaction.
    /// </summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IObjectStorage storage, TimeSpan compactionInterval)
    {
        services.AddSingleton(storage);
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
