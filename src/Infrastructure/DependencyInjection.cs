using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ClusterRegistry.Infrastructure;

public static class DependencyInjection
{
    /// <summary>Registers the embedded store (opened before the host starts) and its compactor.</summary>
    public static IServiceCollection AddEmbeddedStorage(this IServiceCollection services, EmbeddedStorage storage, TimeSpan compactionInterval)
    {
        services.AddSingleton(storage);
        services.AddSingleton<IObjectStorage>(storage);
        if (compactionInterval > TimeSpan.Zero)
            services.AddSingleton<IHostedService>(new EmbeddedCompactor(storage, compactionInterval));
        return services;
    }
}
