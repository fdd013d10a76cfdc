using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Embedded;
using ClusterRegistry.Tests.StorageContractTests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.StorageContractTests.Embedded;

/// <summary>
/// The embedded store does not trust its files: a database that is empty, not SQLite, corrupt or read-only, or a
/// directory it cannot write, is refused at start with one line naming the file; faults met later are storage errors
/// (the API's 503) logged once, and reported by the health check.
/// </summary>
public sealed class EmbeddedStorageFileSafetyTests : IDisposable
{
    private const string Prefix = "clusters/";
    private readonly TempDirectory _dir = new();

    private string Db => Path.Combine(_dir.Path, "registry.db");

    public void Dispose() => _dir.Dispose();

    private async Task<InvalidOperationException> RefusedAsync()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var _ = await EmbeddedStorage.OpenAsync(_dir.Path);
        });
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    /// <summary>A closed store with enough rows to span many pages.</summary>
    private async Task WriteStoreAsync(int objects = 60)
    {
        await using var store = await EmbeddedStorage.OpenAsync(_dir.Path);
        for (var i = 0; i < objects; i++)
            await store.CreateAsync($"clusters/c{i:D3}", Text.Bytes(new string('x', 1500)), default);
    }

    [Fact]
    public async Task OpenAsync_EmptyDatabaseFile_RefusesNamingItAndLeavesItAlone()
    {
        await File.WriteAllBytesAsync(Db, []);

        var e = await RefusedAsync();

        Assert.Contains($"{Db} is empty (0 bytes)", e.Message);
        Assert.Contains("restore it from a backup", e.Message);
        Assert.Equal(0, new FileInfo(Db).Length);
    }

    [Fact]
    public async Task OpenAsync_FileThatIsNotSqlite_Refuses()
    {
        await File.WriteAllTextAsync(Db, "this is not a database, but somebody's notes\n");

        var e = await RefusedAsync();

        Assert.Contains($"{Db} is not a SQLite database", e.Message);
    }

    [Fact]
    public async Task OpenAsync_GarbageInPages_RefusesNamingCorruption()
    {
        await WriteStoreAsync();
        WalCheckpoint.Run(Db);
        DatabaseDamage.GarbagePages(Db);

        var e = await RefusedAsync();

        Assert.Contains($"{Db} is corrupt", e.Message);
    }

    [Fact]
    public async Task OpenAsync_ReadOnlyDatabaseFile_RefusesNamingIt()
    {
        await WriteStoreAsync(objects: 1);
        using var readOnly = new Unwritable(Db);

        var e = await RefusedAsync();

        Assert.Contains($"{Db} is read-only", e.Message);
    }

    [Fact]
    public async Task OpenAsync_ReadOnlyDirectory_RefusesNamingIt()
    {
        using var readOnly = new Unwritable(_dir.Path);

        var e = await RefusedAsync();

        Assert.Contains($"data directory {_dir.Path} is not writable", e.Message);
        Assert.False(File.Exists(Db));
    }

    [Fact]
    public async Task OpenAsync_LockFileDeletedWhileOwned_SecondOpenStillRefused()
    {
        await using var owner = await EmbeddedStorage.OpenAsync(_dir.Path);
        File.Delete(Path.Combine(_dir.Path, "registry.lock"));

        var e = await RefusedAsync();

        Assert.Contains("in use by another clusterregistry process", e.Message);
        await owner.CreateAsync("clusters/a", Text.Bytes("a1"), default);
    }

    [Fact]
    public async Task OpenAsync_NewDirectory_InitialisesAtomicallyAndDiscardsAnUnfinishedInitialisation()
    {
        // What a crash in the middle of an earlier initialisation leaves behind.
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "registry.db.init"), []);

        await using (var store = await EmbeddedStorage.OpenAsync(_dir.Path))
            await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);

        Assert.False(File.Exists(Path.Combine(_dir.Path, "registry.db.init")));
        await using var reopened = await EmbeddedStorage.OpenAsync(_dir.Path);
        Assert.NotNull(await reopened.GetAsync("clusters/a", default));
    }

    [Fact]
    public async Task Writes_DatabaseBecomesReadOnly_UnreachableLoggedOnceReportedByHealthUntilWritable()
    {
        var log = new ListLogger();
        await using var store = await EmbeddedStorage.OpenAsync(_dir.Path, log);
        await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);
        Assert.Null(await store.CheckHealthAsync(default));

        string? health;
        using (new Unwritable(Db, Db + "-wal"))
        {
            for (var i = 0; i < 3; i++)
            {
                var e = await Assert.ThrowsAsync<StorageException>(async () => await store.CreateAsync($"clusters/ro{i}", Text.Bytes("x"), default));
                Assert.Equal(StorageErrorCode.Unreachable, e.Code);
            }
            health = await store.CheckHealthAsync(default);
            Assert.NotNull(await store.CheckHealthAsync(default));
        }

        Assert.NotNull(health);
        Assert.Contains(Db, health);
        var errors = log.Entries.Where(e => e.Level == LogLevel.Error).ToList();
        Assert.Single(errors);
        Assert.Contains(Db, errors[0].Message);

        // Writable again: the health check's own write notices, without waiting for client traffic.
        Assert.Null(await store.CheckHealthAsync(default));
        await store.CreateAsync("clusters/b", Text.Bytes("b1"), default);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("accepts writes again"));
    }

    [Fact]
    public async Task Reads_GarbageInPagesAtRunTime_UnreachableAndHealthReportsCorruptionUntilRestart()
    {
        var log = new ListLogger();
        await using var store = await EmbeddedStorage.OpenAsync(_dir.Path, log);
        for (var i = 0; i < 60; i++)
            await store.CreateAsync($"clusters/c{i:D3}", Text.Bytes(new string('x', 1500)), default);
        WalCheckpoint.Run(Db);
        // Fresh connections read the damaged pages from disk instead of an old page cache.
        SqliteConnection.ClearAllPools();
        DatabaseDamage.GarbagePages(Db);

        var e = await Assert.ThrowsAsync<StorageException>(async () => await store.ListAsync(Prefix, new ListRange(), default));

        Assert.Equal(StorageErrorCode.Unreachable, e.Code);
        var health = await store.CheckHealthAsync(default);
        Assert.NotNull(health);
        Assert.Contains($"{Db} is corrupt", health);
        Assert.Contains("malformed", health);
        Assert.Equal(health, await store.CheckHealthAsync(default));
        Assert.Single(log.Entries, x => x.Level == LogLevel.Error);
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Entries { get { lock (_entries) return _entries.ToList(); } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
