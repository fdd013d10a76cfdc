using ClusterRegistry.Api.Security;
using ClusterRegistry.Application.Abstractions;
using Serilog;
using Serilog.Events;

namespace ClusterRegistry.Api.Hosting;

/// <summary>The server's console log and its request lines.</summary>
public static class ServerLogging
{
    /// <summary>Requests slower than this are logged at every verbosity (watches excepted: they last by design).</summary>
    private const double SlowRequestMs = 1000;

    public static Serilog.ILogger CreateLogger(int verbosity) => new LoggerConfiguration()
        // Request lines are Debug unless slow or failed: every request's synchronous console write cost more than
        // serving it from the watch cache, so they are written from -v 3 on, as kube-apiserver's httplog.
        .MinimumLevel.Is(verbosity >= ServerOptions.RequestLogVerbosity ? LogEventLevel.Debug : LogEventLevel.Information)
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
        .Enrich.FromLogContext()
        .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
        .CreateLogger();

    /// <summary>One line per request: Error when it failed, Information when slow, Debug otherwise.</summary>
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app) => app.UseSerilogRequestLogging(o =>
    {
        o.MessageTemplate = "{RequestMethod} {RequestPath} {Verb} {Resource} {Name} user={User} -> {StatusCode} in {Elapsed:0.0} ms";
        o.EnrichDiagnosticContext = (diagnostics, http) =>
        {
            var info = RequestInfo.Of(http);
            diagnostics.Set("Verb", info.Verb);
            diagnostics.Set("Resource", info.Subresource.Length > 0 ? info.Resource + "/" + info.Subresource : info.Resource);
            diagnostics.Set("Name", info.Name);
            // Health probes skip authentication and a failed one has no user; without a value Serilog would print
            // the template's literal "{User}".
            if (http.Items[typeof(UserInfo)] is not UserInfo) diagnostics.Set("User", "-");
        };
        o.GetLevel = (http, elapsedMs, e) =>
            e is not null || http.Response.StatusCode >= 500 ? LogEventLevel.Error
            : elapsedMs > SlowRequestMs && RequestInfo.Of(http).Verb != "watch" ? LogEventLevel.Information
            : LogEventLevel.Debug;
    });

    /// <summary>Where the server serves and keeps its data, logged once it is up; readiness ends with shutdown.</summary>
    public static void LogStartup(this WebApplication app, ServerOptions options, IObjectStorage storage)
    {
        app.Lifetime.ApplicationStopping.Register(() => Endpoints.HealthApi.ShuttingDown = true);
        var kubeconfig = app.Services.GetService<AdminKubeconfig>()?.Path;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Information("Serving securely on https://{Address}:{Port} (storage: {Backend}, data: {DataDir})",
                options.BindAddress, options.SecurePort, storage.Name, options.DataDir);
            if (Infrastructure.Storage.StorageBackends.LocalDatabase(storage) is { } database)
                Log.Information("Embedded store: {Database}", database);
            if (kubeconfig is not null)
                Log.Information("Admin kubeconfig written to {Kubeconfig}. Use it with: export KUBECONFIG={Kubeconfig}", kubeconfig, kubeconfig);
        });
    }
}
