using ClusterRegistry.Api.Auditing;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.Observability;
using ClusterRegistry.Api.Security;
using ClusterRegistry.Api.Security.Delegated;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Behaviors;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using Serilog;

namespace ClusterRegistry.Api;

/// <summary>The HTTP edge's composition: what it registers, and the order requests pass through it.</summary>
public static class DependencyInjection
{
    /// <summary>
    /// Registers the edge: Kestrel with TLS; authentication and authorization, standalone or delegated to a host
    /// (<paramref name="delegated"/>); request limits, audit, metrics and tracing; Mediator with validation.
    /// </summary>
    public static WebApplicationBuilder AddApiServer(this WebApplicationBuilder builder, ServerOptions options, DelegatedSecurity? delegated)
    {
        builder.Host.UseSerilog();
        var serving = builder.WebHost.UseServingTls(options, alwaysAskForCertificate: delegated is not null);
        var services = builder.Services;
        if (delegated is not null) delegated.Register(services, options, options.Aggregated!);
        else services.AddStandaloneSecurity(options, serving);
        services.AddSingleton(new RequestLimits(options.MaxRequestsInflight, options.MaxMutatingRequestsInflight, options.RequestTimeout));
        if (options.Audit is not null) services.AddAudit(options.Audit);
        services.AddSingleton(new WatchOptions { BookmarkInterval = options.WatchBookmarkInterval });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ShutdownDelay(options.ShutdownDelay, sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ShutdownDelay>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDelay>());
        // The delay comes out of the host's shutdown timeout: keep the usual 30 s for the rest of the shutdown.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownDelay + TimeSpan.FromSeconds(30));
        services.AddSingleton<MemoryReturner>();
        services.AddHostedService(sp => sp.GetRequiredService<MemoryReturner>());
        services.AddApiServerMetrics(options.TracingOtlpEndpoint);
        services.AddLargeResponseCompression();
        services.AddMediator(m =>
        {
            m.ServiceLifetime = ServiceLifetime.Scoped;
            m.Assemblies = [typeof(Application.DependencyInjection)];
            m.PipelineBehaviors = [typeof(ValidationBehavior<,>)];
            m.StreamPipelineBehaviors = [typeof(StreamValidationBehavior<,>)];
        });
        return builder;
    }

    /// <summary>The request path, outermost first, then the routes.</summary>
    public static WebApplication UseApiServer(this WebApplication app, ServerOptions options, IObjectStorage storage)
    {
        app.UseMiddleware<RequestLogMiddleware>();
        // Outermost, so the recorded code is the one the client got, whichever middleware answered.
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<RequestTargetMiddleware>();
        app.UseMiddleware<StatusExceptionMiddleware>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseMiddleware<AuthenticationMiddleware>();
        // After authentication, so every event names its user (failed authentication is audited where it fails), and
        // before authorization, so a denied request is audited with its 403, as kube-apiserver's audit filter does.
        if (options.Audit is not null) app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<AuthorizationMiddleware>();
        app.UseResponseCompression();
        app.MapApiServer();
        app.LogStartup(options, storage);
        return app;
    }
}
