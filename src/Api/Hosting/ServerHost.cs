using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Api.Auditing;
using ClusterRegistry.Api.Endpoints;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.Observability;
using ClusterRegistry.Api.Security;
using ClusterRegistry.Application;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Behaviors;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Infrastructure;
using ClusterRegistry.Infrastructure.HealthProbing;
using ClusterRegistry.Infrastructure.Observability;
using ClusterRegistry.Infrastructure.Storage.Caching;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Infrastructure.Webhooks;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Serilog;
using Serilog.Events;

namespace ClusterRegistry.Api.Hosting;

/// <summary>Builds and runs the standalone server from its options.</summary>
public static class ServerHost
{
    public static async Task<int> RunAsync(ServerOptions options, CancellationToken ct)
    {
        Log.Logger = new LoggerConfiguration()
            // Request lines are Debug unless slow or failed: every request's synchronous console write cost more than
            // serving it from the watch cache, so they are written from -v 3 on, as kube-apiserver's httplog.
            .MinimumLevel.Is(options.Verbosity >= ServerOptions.RequestLogVerbosity ? LogEventLevel.Debug : LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext()
            .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        try
        {
            Directory.CreateDirectory(options.DataDir);
            // The host is asked first: a server that cannot authenticate anyone should not open its store.
            using var delegated = options.Aggregated is { } aggregated ? await Security.Delegated.DelegatedSecurity.StartAsync(options, aggregated, ct) : null;
            var storage = await StorageFactory.OpenAsync(options, ct);
            try
            {
                var app = Build(options, storage, delegated);
                await app.RunAsync(ct);
            }
            finally
            {
                if (storage is IAsyncDisposable disposable) await disposable.DisposeAsync();
            }
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or Npgsql.NpgsqlException
                                   or Application.Abstractions.StorageException
                                   or System.Security.Cryptography.CryptographicException or YamlDotNet.Core.YamlException)
        {
            Log.Fatal("clusterregistry: {Message}", e.Message);
            return 1;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection? LoadClientCa(string? path)
    {
        if (path is null) return null;
        var ca = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        ca.ImportFromPemFile(path);
        if (ca.Count == 0) throw new InvalidOperationException($"--client-ca-file {path} holds no certificate");
        return ca;
    }

    private static readonly List<System.Net.Security.SslApplicationProtocol> Alpn =
        [System.Net.Security.SslApplicationProtocol.Http2, System.Net.Security.SslApplicationProtocol.Http11];

    private static System.Net.Security.SslServerAuthenticationOptions TlsOptions(CertificateReloader certificates, bool clientCertificates) => new()
    {
        ServerCertificateContext = certificates.Current,
        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
        ApplicationProtocols = Alpn,
        // Client certificates are asked for, not required, and checked against the client CA by the authenticator,
        // so a bad one is a 401 rather than a failed handshake.
        ClientCertificateRequired = clientCertificates,
        RemoteCertificateValidationCallback = clientCertificates ? (_, _, _, _) => true : null,
    };

    /// <summary>Requests slower than this are logged at every verbosity (watches excepted: they last by design).</summary>
    private const double SlowRequestMs = 1000;

    public static WebApplication Build(ServerOptions options, IObjectStorage storage, Security.Delegated.DelegatedSecurity? delegated = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.UseSerilog();

        var (certPath, keyPath) = options.TlsCertFile is not null
            ? (options.TlsCertFile, options.TlsPrivateKeyFile!)
            : SelfSignedCertificate.Ensure(options.EffectiveCertDir, options.BindAddress, options.AdvertiseAddress, options.ExternalUrl?.IdnHost);
        var certificates = new CertificateReloader(certPath, keyPath,
            new Serilog.Extensions.Logging.SerilogLoggerFactory(Log.Logger).CreateLogger("Tls"));
        var clientCa = LoadClientCa(options.ClientCaFile);
        builder.WebHost.UseBoundedConnectionMemory();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = RequestBody.MaxBytes + 1L;
            // Go's http.Server default, which kube-apiserver keeps: 1 MiB for the request line and headers, so
            // long label selectors and large bearer tokens are accepted as there.
            k.Limits.MaxRequestLineSize = 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            k.Limits.Http2.MaxRequestHeaderFieldSize = 1024 * 1024;
            k.Limits.MaxRequestHeaderCount = 100;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(2);
            // Slow clients: a body must arrive at 240 bytes/s after a 5 s grace, or the request is dropped.
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
            k.Listen(System.Net.IPAddress.Parse(options.BindAddress), options.SecurePort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // The handshake takes the prebuilt context; a certificate selector would rebuild the chain per connection.
                    // Aggregated: the front proxy and the host's client CA may change, so a certificate is always asked for.
                    OnConnection = _ => ValueTask.FromResult(TlsOptions(certificates, clientCa is not null || delegated is not null)),
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                });
            });
        });

        var tokens = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        string? kubeconfig = null;
        if (options.TokenAuthFile is not null)
        {
            foreach (var (token, user) in TokenFile.Load(options.TokenAuthFile)) tokens[token] = user;
        }
        if (options.GeneratesAdminCredentials)
        {
            var token = AdminCredentials.EnsureToken(options.DataDir);
            tokens[token] = AdminCredentials.Admin;
            kubeconfig = AdminCredentials.WriteKubeconfig(options.DataDir, options.KubeconfigServer, File.ReadAllText(certPath), token);
        }

        var services = builder.Services;
        if (delegated is not null) delegated.Register(services, options, options.Aggregated!);
        else RegisterStandaloneSecurity(services, options, tokens, clientCa);
        services.AddSingleton(new RequestLimits(options.MaxRequestsInflight, options.MaxMutatingRequestsInflight, options.RequestTimeout));
        if (options.Audit is not null) services.AddSingleton(sp => new AuditLog(options.Audit, sp.GetRequiredService<ILogger<AuditLog>>()));
        services.AddSingleton(new WatchOptions { BookmarkInterval = options.WatchBookmarkInterval });
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Observability.MemoryReturner>();
        services.AddHostedService(sp => sp.GetRequiredService<Observability.MemoryReturner>());
        services.AddApiServerMetrics(options.TracingOtlpEndpoint);
        services.AddApplication();
        services.AddStorage(storage, options.CompactionInterval, options.WatchCache ? new WatchCacheOptions() : null);
        services.AddSingleton(sp => storage is EmbeddedStorage
            ? StorageFailureLog.None
            : new StorageFailureLog(StorageFactory.Describe(options), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Storage")));
        services.AddHealthProbing(options.HealthProbing, storage);
        services.AddMediator(m =>
        {
            m.ServiceLifetime = ServiceLifetime.Scoped;
            m.Assemblies = [typeof(Application.DependencyInjection)];
            m.PipelineBehaviors = [typeof(AuthorizationBehavior<,>), typeof(ValidationBehavior<,>)];
            m.StreamPipelineBehaviors = [typeof(StreamAuthorizationBehavior<,>), typeof(StreamValidationBehavior<,>)];
        });

        var app = builder.Build();
        app.UseSerilogRequestLogging(o =>
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
        // Outermost, so the recorded code is the one the client got, whichever middleware answered.
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseMiddleware<RequestTargetMiddleware>();
        app.UseMiddleware<StatusExceptionMiddleware>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseMiddleware<AuthenticationMiddleware>();
        // Audited after authentication, so every event names its user (failed authentication is audited there).
        if (options.Audit is not null) app.UseMiddleware<AuditMiddleware>();
        app.MapHealth();
        app.MapVersion();
        app.MapDiscovery();
        app.MapOpenApi();
        app.MapClusters();
        app.MapIntrospection();
        app.MapMetrics();
        // Read-only documents: other methods are 405 Status answers, as kube-apiserver gives.
        foreach (var path in new[] { "/apis", "/apis/{group}", "/apis/{group}/{version}", "/api", "/api/v1", "/version", "/openapi/v2", "/openapi/v3", "/openapi/v3/{**rest}" })
            app.Map(path, (HttpContext _) => throw Domain.Meta.ApiErrors.MethodNotAllowed());
        app.MapFallback(NotFound.WriteAsync);

        app.Lifetime.ApplicationStopping.Register(() => HealthApi.ShuttingDown = true);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Information("Serving securely on https://{Address}:{Port} (storage: {Backend}, data: {DataDir})",
                options.BindAddress, options.SecurePort, storage.Name, options.DataDir);
            if (options.StorageBackend == "embedded" && storage is EmbeddedStorage embedded)
                Log.Information("Embedded store: {Database}", embedded.DatabasePath);
            if (kubeconfig is not null)
                Log.Information("Admin kubeconfig written to {Kubeconfig}. Use it with: export KUBECONFIG={Kubeconfig}", kubeconfig, kubeconfig);
        });
        return app;
    }

    private static void RegisterStandaloneSecurity(IServiceCollection services, ServerOptions options, Dictionary<string, UserInfo> tokens,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? clientCa)
    {
        services.AddSingleton(sp => new Authenticator(tokens, options.AnonymousAuth, clientCa,
            options.TokenWebhookConfigFile is null ? null : new TokenReviewAuthenticator(WebhookKubeconfig.Load(options.TokenWebhookConfigFile),
                options.TokenWebhookCacheTtl, sp.GetRequiredService<ILogger<TokenReviewAuthenticator>>())));
        var webhookConfig = options.AuthorizationWebhookConfigFile is null ? null : WebhookKubeconfig.Load(options.AuthorizationWebhookConfigFile);
        services.AddSingleton<IAuthorizer>(sp => new UnionAuthorizer(options.AuthorizationModes.Select(mode => mode switch
        {
            "AlwaysAllow" => (IAuthorizer)new AlwaysAllowAuthorizer(),
            "AlwaysDeny" => new AlwaysDenyAuthorizer(),
            "Webhook" => new WebhookAuthorizer(new WebhookAuthorizerOptions(webhookConfig!, options.AuthorizationWebhookVersion,
                options.AuthorizedTtl, options.UnauthorizedTtl), sp.GetRequiredService<ILogger<WebhookAuthorizer>>(), sp.GetRequiredService<WebhookMetrics>()),
            _ => throw new InvalidOperationException($"unknown authorization mode {mode}"),
        }).Prepend(new PrivilegedGroupAuthorizer()).ToList()));
    }
}
