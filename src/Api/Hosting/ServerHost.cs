using ClusterRegistry.Api.Security.Delegated;
using ClusterRegistry.Application;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure;
using ClusterRegistry.Infrastructure.Storage;
using Serilog;

namespace ClusterRegistry.Api.Hosting;

/// <summary>Builds and runs the standalone or aggregated server from its options.</summary>
public static class ServerHost
{
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken ct)
    {
        Log.Logger = ServerLogging.CreateLogger(options.Verbosity);
        try
        {
            Directory.CreateDirectory(options.Infrastructure.DataDir);
            // The host is asked first: a server that cannot authenticate anyone should not open its store.
            using var delegated = options.Aggregated is { } aggregated ? await DelegatedSecurity.StartAsync(options, aggregated, ct) : null;
            var loggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger);
            var storage = await StorageBackends.OpenAsync(options.Infrastructure, loggers, ct);
            try
            {
                await Build(options, storage, delegated).RunAsync(ct);
            }
            finally
            {
                if (storage is IAsyncDisposable disposable) await disposable.DisposeAsync();
            }
            return 0;
        }
        catch (Exception e) when (IsStartFailure(e))
        {
            Log.Fatal("clusterregistry: {Message}", e.Message);
            return 1;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    /// <summary>
    /// The server over an opened store: each layer's registrations, then the edge's request path.
    /// <paramref name="configure"/> runs last on the builder: the in-process tests replace Kestrel with the test server
    /// there (ADR-018-inproc), everything else stays as the executable composes it.
    /// </summary>
    public static WebApplication Build(ServerOptions options, IObjectStorage storage, DelegatedSecurity? delegated = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        // No watch on appsettings files: it watches the working directory and everything under it, and a data directory
        // there (a server started from the home directory) made every write of the store's WAL an inotify event.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.AddApiServer(options, delegated);
        builder.Services.AddApplication();
        builder.Services.AddInfrastructure(options.Infrastructure, storage);
        configure?.Invoke(builder);
        return builder.Build().UseApiServer(options, storage);
    }

    /// <summary>
    /// Configuration the server cannot start with (files, certificates, kubeconfigs, the store): one line and exit
    /// code 1, never a stack trace. The store's driver errors arrive as <see cref="InvalidOperationException"/>.
    /// </summary>
    private static bool IsStartFailure(Exception e) =>
        e is InvalidOperationException or IOException or UnauthorizedAccessException or StorageException
            or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException;
}
