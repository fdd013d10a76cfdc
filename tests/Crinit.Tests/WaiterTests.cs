using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Host;

namespace ClusterRegistry.Tests.Crinit;

public sealed class WaiterTests
{
    [Fact]
    public async Task AWaitThatNeverEnds_StopsAtItsBound_SayingWhatItSawLast_AndTheLikelyCause()
    {
        var output = new StringWriter();
        var waiter = new Waiter(output, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        var e = await Assert.ThrowsAsync<CrinitException>(() => waiter.UntilAsync("the thing",
            _ => Task.FromResult(new Waiter.Probe(false, "still pending")), "the thing may be missing: add it", CancellationToken.None));
        Assert.Equal("timed out after 1s waiting for the thing (last seen: still pending); the thing may be missing: add it", e.Message);
        // The state once, then a dot per unchanged look: visible progress without flooding.
        Assert.Matches(@"^Waiting for the thing \(up to 1s\)\.\.\.\n  still pending\.+\n$", output.ToString());
    }

    [Fact]
    public async Task EachNewState_IsShown_AndHostErrorsMeanwhile_AreStates()
    {
        var output = new StringWriter();
        var looks = 0;
        await new Waiter(output, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10)).UntilAsync("the pod", _ => ++looks switch
        {
            1 => Task.FromResult(new Waiter.Probe(false, "Pending")),
            2 => throw new CrinitException("cannot reach the host"),
            3 => Task.FromResult(new Waiter.Probe(false, "Pending")),
            _ => Task.FromResult(new Waiter.Probe(true, "")),
        }, "", CancellationToken.None);
        Assert.Equal("Waiting for the pod (up to 10s)...\n  Pending\n  cannot reach the host\n  Pending done\n", output.ToString());
    }

    [Fact]
    public async Task AProbeThatNeverAnswers_IsCutOffAtTheDeadline()
    {
        var output = new StringWriter();
        var waiter = new Waiter(output, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        // The probe waits on its token only, as a host call on a connection that never answers does.
        var wait = waiter.UntilAsync("the host", async token =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return new Waiter.Probe(true, "");
        }, "check the host", CancellationToken.None);
        // Bounded here only so that a regression fails instead of hanging the run.
        var e = await Assert.ThrowsAsync<CrinitException>(() => wait.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Equal("timed out after 1s waiting for the host (last seen: no answer); check the host", e.Message);
    }
}
