using ClusterRegistry.Application.Abstractions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// What has gone wrong with the embedded store's file at run time. Each distinct cause is logged once per outage (a
/// failing disk must not flood the log with one line per request); corruption is remembered until restart, because
/// it does not heal and the start-time integrity check is what decides whether the file is usable again.
/// </summary>
internal sealed class EmbeddedFaults(string databasePath, ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _logged = [];
    private string? _corruption;
    private string? _writeFailure;
    private volatile bool _faulted;

    /// <summary>Set once a read or write met a corrupt page; the store is not ready again until restarted.</summary>
    public string? Corruption { get { lock (_gate) return _corruption; } }

    /// <summary>The cause of the last failed write, until a write succeeds again.</summary>
    public string? WriteFailure { get { lock (_gate) return _writeFailure; } }

    /// <summary>Records a failed SQLite call and returns the storage error for it (the API answers 503).</summary>
    public StorageException Fail(SqliteException e, string key, string operation, bool write)
    {
        var cause = Describe(databasePath, e);
        bool log;
        lock (_gate)
        {
            if (IsCorruption(e)) _corruption ??= cause;
            if (write) _writeFailure = cause;
            log = _logged.Add(cause);
            _faulted = true;
        }
        if (log)
            logger.LogError("{Cause} ({Operation} failed; requests answer 503, and this cause is not logged again until the store recovers)",
                cause, operation);
        return new StorageException(StorageErrorCode.Unreachable, key, cause, inner: e);
    }

    /// <summary>A write (or the readiness check's write) committed: a write outage, if any, is over.</summary>
    public void WriteSucceeded()
    {
        // Every write ends here: without an outage it must not contend on the lock.
        if (!_faulted) return;
        string? recovered;
        lock (_gate)
        {
            recovered = _writeFailure;
            _writeFailure = null;
            if (_corruption is null)
            {
                _logged.Clear();
                _faulted = false;
            }
        }
        if (recovered is not null) logger.LogInformation("embedded store {Path} accepts writes again", databasePath);
    }

    /// <summary>One line naming the file and the cause, in words an operator acts on; SQLite's own text is kept for searching.</summary>
    public static string Describe(string databasePath, SqliteException e) => (e.SqliteErrorCode & 0xff) switch
    {
        SqliteCodes.Corrupt or SqliteCodes.NotADatabase =>
            $"embedded store {databasePath} is corrupt ({e.Message}); move it away or restore it from a backup (a restart runs the integrity check again)",
        SqliteCodes.ReadOnly or SqliteCodes.Permission =>
            $"embedded store {databasePath} is read-only ({e.Message}); make the file and its directory writable by the server",
        SqliteCodes.Full => $"embedded store {databasePath} cannot grow: the disk is full ({e.Message})",
        SqliteCodes.CannotOpen => $"embedded store {databasePath} or its journal cannot be opened ({e.Message})",
        SqliteCodes.IoError =>
            $"embedded store {databasePath} or its journal cannot be read or written ({e.Message}); check that the file system is writable, not full and not failing",
        _ => $"embedded store {databasePath}: {e.Message}",
    };

    public static bool IsCorruption(SqliteException e) => (e.SqliteErrorCode & 0xff) is SqliteCodes.Corrupt or SqliteCodes.NotADatabase;
}
