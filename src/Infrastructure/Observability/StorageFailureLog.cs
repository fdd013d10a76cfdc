using ClusterRegistry.Application.Abstractions;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Observability;

/// <summary>
/// Logs storage failures as one warning line naming the backend (<paramref name="backend"/>, described without
/// credentials) and the cause. While a store is down every request fails the same way, so a cause already logged is
/// folded for <see cref="Quiet"/>: the next line for it says how many failures it stood for.
/// </summary>
public sealed partial class StorageFailureLog(string backend, ILogger logger, TimeProvider? time = null) : IStorageFailureLog
{
    /// <summary>How long a repeated cause stays quiet.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();

    /// <summary>
    /// Per cause: when it was last logged and how many failures were folded since. Kept per cause, so failures that
    /// alternate between two causes (a member refusing, another timing out) are each folded and counted, not logged
    /// every time nor their counts lost when the other cause comes in between.
    /// </summary>
    private readonly Dictionary<string, (DateTimeOffset LastLogged, int Folded)> _causes = [];

    /// <summary>Past this many remembered causes, those quiet for longer than <see cref="Quiet"/> are forgotten.</summary>
    private const int MaxCauses = 32;

    /// <summary>For a store that logs its own faults (the embedded store logs each cause once until it recovers).</summary>
    public static readonly IStorageFailureLog None = new Silent();

    public void Failed(string operation, StorageException failure)
    {
        if (failure.Code is not (StorageErrorCode.Unreachable or StorageErrorCode.Timeout)) return;
        var cause = ErrorText.Cause(failure);
        int folded;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_causes.TryGetValue(cause, out var seen) && now - seen.LastLogged < Quiet)
            {
                _causes[cause] = (seen.LastLogged, seen.Folded + 1);
                return;
            }
            folded = seen.Folded;
            if (_causes.Count >= MaxCauses)
                foreach (var stale in _causes.Where(c => now - c.Value.LastLogged >= Quiet).Select(c => c.Key).ToList())
                    _causes.Remove(stale);
            _causes[cause] = (now, 0);
        }
        if (folded > 0) LogRepeated(logger, backend, operation, cause, folded);
        else LogFailed(logger, backend, operation, cause);
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Storage {Backend}: {Operation} failed: {Cause}")]
    private static partial void LogFailed(ILogger logger, string backend, string operation, string cause);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "Storage {Backend}: {Operation} failed: {Cause} (and {Folded} more failures with this cause since it was last logged)")]
    private static partial void LogRepeated(ILogger logger, string backend, string operation, string cause, int folded);

    private sealed class Silent : IStorageFailureLog
    {
        public void Failed(string operation, StorageException failure)
        {
        }
    }
}
