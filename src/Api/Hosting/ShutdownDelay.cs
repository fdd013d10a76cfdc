namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// kube-apiserver's <c>--shutdown-delay-duration</c>: once asked to stop, the server goes on serving every request for
/// this long while <c>/readyz</c> reports <c>[-]shutdown</c>, so load balancers and the endpoints of a Service take
/// the replica out before it stops accepting connections; only then do watches end and the listener close.
/// </summary>
/// <remarks>
/// <see cref="ShuttingDown"/> is the one source /readyz reads. It is set by whichever comes first:
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> (SIGTERM, or anything else that stops the application,
/// fires it before the hosted services stop) or <see cref="StoppingAsync"/>, which the host calls before it stops any
/// hosted service (the web server among them), also on a direct StopAsync.
/// </remarks>
public sealed class ShutdownDelay : IHostedLifecycleService, IDisposable
{
    private readonly TimeSpan _delay;
    private readonly ILogger<ShutdownDelay> _logger;
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenRegistration _stopping;

    public ShutdownDelay(TimeSpan delay, IHostApplicationLifetime lifetime, ILogger<ShutdownDelay> logger)
    {
        _delay = delay;
        _logger = logger;
        _stopping = lifetime.ApplicationStopping.Register(static self => ((ShutdownDelay)self!)._shuttingDown = true, this);
    }

    /// <summary>Cancelled when the delay is over and the server begins to stop: long-running requests (watches) end then.</summary>
    public CancellationToken Draining => _draining.Token;

    private volatile bool _shuttingDown;

    /// <summary>True from the moment the host began to stop (SIGTERM or StopAsync): /readyz fails from then on.</summary>
    public bool ShuttingDown => _shuttingDown;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        if (_delay > TimeSpan.Zero)
        {
            _logger.LogInformation("Shutting down: not ready, serving for another {Delay} (--shutdown-delay-duration)", _delay);
            try
            {
                await Task.Delay(_delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout cut the delay short: stop now.
            }
        }
        await _draining.CancelAsync();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _stopping.Dispose();
        _draining.Dispose();
    }
}
