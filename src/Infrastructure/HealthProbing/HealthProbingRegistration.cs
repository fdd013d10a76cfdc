using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Infrastructure.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure.HealthProbing;

public static class HealthProbingRegistration
{
    /// <summary>
    /// Registers the health prober when <paramref name="options"/> allows any address range (otherwise nothing: no
    /// lease is taken, no cluster contacted). Its lease lives in <paramref name="storage"/>, the opened backend.
    /// </summary>
    public static IServiceCollection AddHealthProbing(this IServiceCollection services, HealthProbeOptions options, IObjectStorage storage)
    {
        if (!options.Enabled) return services;
        services.AddSingleton(options);
        services.AddSingleton(LeasesOf(storage));
        services.AddSingleton(new ProbeTargets(options.AllowedCidrs));
        services.AddSingleton<HealthStatusWriter>();
        services.AddSingleton<HealthProbeMetrics>();
        services.AddSingleton<HealthProber>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<HealthProber>());
        return services;
    }

    private static ILeaseStore LeasesOf(IObjectStorage storage) => storage switch
    {
        EmbeddedStorage embedded => EmbeddedLeaseStore.For(embedded),
        EtcdStorage etcd => etcd.Leases(),
        PostgresStorage postgres => postgres.Leases(),
        _ => throw new InvalidOperationException($"health probing needs leases, which the {storage.Name} store does not offer"),
    };
}
