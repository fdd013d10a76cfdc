using ClusterRegistry.Infrastructure.Observability;
using ClusterRegistry.Infrastructure.Webhooks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ClusterRegistry.Api.Observability;

/// <summary>
/// The edge that exports the <see cref="Telemetry.MeterName"/> meter: OpenTelemetry's Prometheus exporter serves
/// it on <c>/metrics</c> in the Prometheus text format. Only this file knows OpenTelemetry.
/// </summary>
public static class MetricsExport
{
    /// <param name="otlpEndpoint">An OTLP/HTTP collector to send traces to (a span per request from ASP.NET Core, child
    /// spans from <see cref="Telemetry.Tracing"/>); null leaves tracing off, so no span is ever made.</param>
    public static IServiceCollection AddApiServerMetrics(this IServiceCollection services, Uri? otlpEndpoint = null)
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
        if (otlpEndpoint is not null)
        {
            // OTLP/HTTP takes the signal's full path; a collector's base URL gets the standard /v1/traces.
            var traces = otlpEndpoint.AbsolutePath is "" or "/" ? new Uri(otlpEndpoint, "/v1/traces") : otlpEndpoint;
            services.AddOpenTelemetry().WithTracing(t => t
                .AddSource("Microsoft.AspNetCore", Telemetry.MeterName)
                .AddOtlpExporter(o =>
                {
                    o.Endpoint = traces;
                    o.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                }));
        }
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
