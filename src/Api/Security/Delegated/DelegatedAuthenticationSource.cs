using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Infrastructure.Delegated;
using ClusterRegistry.Infrastructure.Webhooks;
using Serilog;

namespace ClusterRegistry.Api.Security.Delegated;

/// <summary>
/// The current <see cref="DelegatedAuthenticationSettings"/>: read from the flags and the host's
/// extension-apiserver-authentication ConfigMap at start (a failure stops the server unless
/// <c>--authentication-tolerate-lookup-failure</c>), then re-read periodically so a rotated front-proxy or client CA
/// is picked up without a restart. A failed re-read keeps the last good settings.
/// </summary>
public sealed class DelegatedAuthenticationSource : IDisposable
{
    private readonly HttpClient _http;
    private readonly WebhookKubeconfig _host;
    private readonly string? _clientCaFile;
    private readonly AggregatedOptions _flags;
    private volatile DelegatedAuthenticationSettings _current;

    private DelegatedAuthenticationSource(HttpClient http, WebhookKubeconfig host, string? clientCaFile, AggregatedOptions flags, DelegatedAuthenticationSettings current)
    {
        _http = http;
        _host = host;
        _clientCaFile = clientCaFile;
        _flags = flags;
        _current = current;
    }

    public DelegatedAuthenticationSettings Current => _current;

    public static async Task<DelegatedAuthenticationSource> StartAsync(string? clientCaFile, AggregatedOptions flags, WebhookKubeconfig host, CancellationToken ct)
    {
        var http = host.CreateClient(TimeSpan.FromSeconds(10));
        AuthenticationConfigMap? configMap = null;
        if (!flags.SkipLookup)
        {
            try
            {
                configMap = await AuthenticationConfigMap.ReadAsync(http, host, ct);
            }
            catch (InvalidOperationException e) when (flags.TolerateLookupFailure)
            {
                Log.Warning("Continuing without the host's authentication configuration (--authentication-tolerate-lookup-failure): {Error}", e.Message);
            }
        }
        var settings = DelegatedAuthenticationSettings.From(clientCaFile, flags, configMap);
        Log.Information("Delegated authentication: {Settings}", settings.Describe());
        return new DelegatedAuthenticationSource(http, host, clientCaFile, flags, settings);
    }

    /// <summary>Re-reads the ConfigMap every <see cref="AggregatedOptions.ConfigMapRefreshInterval"/> until stopped.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        if (_flags.SkipLookup) return;
        using var timer = new PeriodicTimer(_flags.ConfigMapRefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    var next = DelegatedAuthenticationSettings.From(_clientCaFile, _flags, await AuthenticationConfigMap.ReadAsync(_http, _host, ct));
                    if (next.SameAs(_current)) continue;
                    _current = next;
                    Log.Information("Delegated authentication changed on the host: {Settings}", next.Describe());
                }
                catch (Exception e) when (e is InvalidOperationException or System.Security.Cryptography.CryptographicException && !ct.IsCancellationRequested)
                {
                    Log.Warning("Re-reading the host's authentication configuration failed, keeping the last one: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Runs <see cref="DelegatedAuthenticationSource.RefreshAsync"/> for the server's lifetime.</summary>
public sealed class DelegatedAuthenticationRefresher(DelegatedAuthenticationSource source) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => source.RefreshAsync(stoppingToken);
}
