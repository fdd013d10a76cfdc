using ClusterRegistry.Infrastructure.Observability;
using ClusterRegistry.Infrastructure.Webhooks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// The edge that exports the <see cref="Telemetry.MeterName"/> meter: OpenTelemetry's Prometheus exporter serves
/// it on <c>/metrics</c> in the Prometheus text format. Only this file knows OpenTelemetry.
/// </summary>
public static class MetricsExport
{
    public static IServiceCollection AddApiServerMetrics(this IServiceCollection services)
    {
        services.AddSingleton<RequestMetrics>();
        services.AddSingleton<WatchMetrics>();
        services.AddSingleton(sp => new WebhookMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("clusterregistry"))
            .WithMetrics(m => m
            .AddMeter(Telemetry.MeterName)
            // Every scrape sees the counts of now: a test (or an operator) that scrapes right after a request finds it.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>
    /// Maps <c>/metrics</c> as an endpoint, so it runs after the middleware: like kube-apiserver's non-resource URL it
    /// needs an authenticated user allowed <c>get</c> on <c>/metrics</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
