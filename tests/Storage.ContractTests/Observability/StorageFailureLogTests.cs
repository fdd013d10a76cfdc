using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Observability;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.StorageContractTests.Observability;

/// <summary>The storage failure log folds repeated causes, each cause on its own, and reports how many it folded.</summary>
public sealed class StorageFailureLogTests
{
    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Lines : ILogger
    {
        public List<string> Logged { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Logged.Add(formatter(state, exception));
    }

    private static StorageException Down(string cause) => new(StorageErrorCode.Unreachable, "clusters/a", cause);

    [Fact]
    public void AlternatingCauses_EachFoldedOnItsOwn_AndTheirCountsKept()
    {
        var clock = new Clock();
        var lines = new Lines();
        var log = new StorageFailureLog("etcd", lines, clock);

        // Two members failing in turn, two different ways.
        for (var i = 0; i < 5; i++)
        {
            log.Failed("get", Down("connection refused"));
            log.Failed("get", Down("deadline exceeded"));
        }
        Assert.Equal(2, lines.Logged.Count);

        clock.Now += StorageFailureLog.Quiet + TimeSpan.FromSeconds(1);
        log.Failed("get", Down("connection refused"));
        log.Failed("get", Down("deadline exceeded"));

        Assert.Equal(4, lines.Logged.Count);
        Assert.Contains("connection refused", lines.Logged[2]);
        Assert.Contains("and 4 more failures", lines.Logged[2]);
        Assert.Contains("deadline exceeded", lines.Logged[3]);
        Assert.Contains("and 4 more failures", lines.Logged[3]);
    }
}
