using ClusterRegistry.Crinit.Cli;

namespace ClusterRegistry.Crinit.Host;

/// <summary>
/// Every wait crinit does: bounded, says what it waits for and for how long, prints the state whenever it changes
/// (a dot otherwise), and on timeout says what was last seen and what usually causes it. The original polled the
/// load balancer forever and printed only dots.
/// </summary>
public sealed class Waiter(TextWriter output, TimeSpan timeout, TimeSpan interval)
{
    /// <summary>One look at the world: done, and how things stand (shown to the user).</summary>
    public readonly record struct Probe(bool Done, string State);

    public async Task UntilAsync(string what, Func<CancellationToken, Task<Probe>> probe, string hint, CancellationToken ct)
    {
        output.Write($"Waiting for {what} (up to {Durations.Format(timeout)})...");
        var deadline = DateTime.UtcNow + timeout;
        string? last = null;
        while (true)
        {
            Probe p;
            // A look that hangs (a host that accepts the connection and never answers) ends at the deadline too.
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(Remaining(deadline));
            try
            {
                p = await probe(bounded.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                p = new Probe(false, last ?? "no answer");
            }
            catch (CrinitException e) when (!ct.IsCancellationRequested && (DateTime.UtcNow < deadline || bounded.IsCancellationRequested))
            {
                // A host hiccup or a not-yet-ready endpoint during the wait is a state, not the end.
                p = new Probe(false, bounded.IsCancellationRequested ? last ?? "no answer" : e.Message);
            }
            if (p.Done)
            {
                output.WriteLine(" done");
                return;
            }
            if (p.State != last)
            {
                output.Write($"\n  {p.State}");
                last = p.State;
            }
            else
            {
                output.Write('.');
            }
            if (DateTime.UtcNow >= deadline)
            {
                output.WriteLine();
                throw new CrinitException($"timed out after {Durations.Format(timeout)} waiting for {what} (last seen: {p.State}); {hint}");
            }
            await Task.Delay(interval < Remaining(deadline) ? interval : Remaining(deadline), ct);
        }
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
