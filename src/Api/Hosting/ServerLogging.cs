using ClusterRegistry.Api.Security;
using ClusterRegistry.Application.Abstractions;
using Serilog;
using Serilog.Events;

namespace ClusterRegistry.Api.Hosting;

/// <summary>The server's console log (request lines: <see cref="Observability.RequestLogMiddleware"/>).</summary>
public static class ServerLogging
{
    public static Serilog.ILogger CreateLogger(int verbosity) => new LoggerConfiguration()
        // Request lines are Debug unless slow or failed: every request's synchronous console write cost more than
        // serving it from the watch cache, so they are written from -v 3 on, as kube-apiserver's httplog.
        .MinimumLevel.Is(verbosity >= ServerOptions.RequestLogVerbosity ? LogEventLevel.Debug : LogEventLevel.Information)
        .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
        .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
        .Enrich.FromLogContext()
        .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
        .CreateLogger();

    /// <summary>Where the server serves and keeps its data, logged once it is up.</summary>
    public static void LogStartup(this WebApplication app, ServerOptions options, IObjectStorage storage)
    {
        var kubeconfig = app.Services.GetService<AdminKubeconfig>()?.Path;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Information("Serving securely on https://{Address}:{Port} (storage: {Backend}, data: {DataDir})",
                options.BindAddress, options.SecurePort, storage.Name, options.Infrastructure.DataDir);
            if (Infrastructure.Storage.StorageBackends.LocalDatabase(storage) is { } database)
                Log.Information("Embedded store: {Database}", database);
            if (kubeconfig is not null)
                Log.Information("Admin kubeconfig written to {Kubeconfig}. Use it with: export KUBECONFIG={Kubeconfig}", kubeconfig, kubeconfig);
        });
    }
}
