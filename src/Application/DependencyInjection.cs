using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ClusterRegistry.Application;

public static class DependencyInjection
{
    /// <summary>Registers the application layer; Mediator itself is registered by the host that runs its generator.</summary>
    public static IServiceCollection AddApplication(this IServiceCollection services)
    {
        // Singletons: the validators hold no state, and building one (its rules are expression trees) cost more CPU per
        // write than the rest of the validation pipeline.
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, ServiceLifetime.Singleton, includeInternalTypes: true);
        services.TryAddSingleton<IClock, SystemClock>();
        services.TryAddSingleton(new WatchOptions());
        services.AddScoped<RequestContext>();
        services.AddScoped<IRequestContext>(sp => sp.GetRequiredService<RequestContext>());
        // One per process: the revision of the latest write it acknowledged (where updates may start from the cache).
        services.TryAddSingleton<WriteHorizon>();
        services.AddScoped<ClusterUpdates>();
        services.AddScoped<ClusterCreation>();
        return services;
    }
}
