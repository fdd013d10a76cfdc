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
    private string? _lastCause;
    private DateTimeOffset _lastLogged;
    private int _folded;

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
            if (cause == _lastCause && now - _lastLogged < Quiet)
            {
                _folded++;
                return;
            }
            folded = cause == _lastCause ? _folded : 0;
            (_lastCause, _lastLogged, _folded) = (cause, now, 0);
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
