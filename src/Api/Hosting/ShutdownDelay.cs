namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// kube-apiserver's <c>--shutdown-delay-duration</c>: once asked to stop, the server goes on serving every request for
/// this long while <c>/readyz</c> reports <c>[-]shutdown</c>, so load balancers and the endpoints of a Service take
/// the replica out before it stops accepting connections; only then do watches end and the listener close.
/// </summary>
/// <remarks>
/// The host calls <see cref="StoppingAsync"/> before it stops any hosted service (the web server among them). On SIGTERM
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> has fired by then; on a direct StopAsync it fires only
/// afterwards, hence <see cref="ShuttingDown"/> for /readyz.
/// </remarks>
public sealed class ShutdownDelay(TimeSpan delay, ILogger<ShutdownDelay> logger) : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _draining = new();

    /// <summary>Cancelled when the delay is over and the server begins to stop: long-running requests (watches) end then.</summary>
    public CancellationToken Draining => _draining.Token;

    private volatile bool _shuttingDown;

    /// <summary>True from the moment the host began to stop (SIGTERM or StopAsync): /readyz fails from then on.</summary>
    public bool ShuttingDown => _shuttingDown;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        if (delay > TimeSpan.Zero)
        {
            logger.LogInformation("Shutting down: not ready, serving for another {Delay} (--shutdown-delay-duration)", delay);
            try
            {
                await Task.Delay(delay, cancellationToken);
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

    public void Dispose() => _draining.Dispose();
}
