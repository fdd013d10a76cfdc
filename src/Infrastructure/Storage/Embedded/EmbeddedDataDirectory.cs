using System.Text;

namespace ClusterRegistry.Infrastructure.Storage.Embedded;

/// <summary>
/// The data directory of the embedded store, claimed for the life of the process: the checks made before SQLite is
/// allowed to touch a file, and the OS locks that keep a second process out. The exclusive lock is held on
/// <c>registry.db</c> itself, so deleting <c>registry.lock</c> (which only serialises the initialisation of a new
/// directory) cannot let a second server in.
/// </summary>
internal sealed class EmbeddedDataDirectory : IDisposable
{
    public const string DatabaseFileName = "registry.db";
    public const string LockFileName = "registry.lock";
    private const string InitFileName = "registry.db.init";
    private const string WriteProbeFileName = ".registry.write-probe";
    private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private readonly FileStream _initLock;
    private FileStream? _databaseLock;

    private EmbeddedDataDirectory(string directory, FileStream initLock)
    {
        Directory = directory;
        DatabasePath = System.IO.Path.Combine(directory, DatabaseFileName);
        InitPath = System.IO.Path.Combine(directory, InitFileName);
        _initLock = initLock;
    }

    public string Directory { get; }
    public string DatabasePath { get; }

    /// <summary>Where a new store is built before it is renamed to <see cref="DatabasePath"/>.</summary>
    public string InitPath { get; }

    /// <summary>True when the directory held a database before this process started (it is never initialised again).</summary>
    public bool DatabaseExisted { get; private set; }

    /// <summary>
    /// Claims <paramref name="dataDirectory"/>: creates it if missing, checks that it is writable, takes the locks and
    /// checks that an existing <c>registry.db</c> is a non-empty SQLite file. Throws <see cref="InvalidOperationException"/>
    /// with a one-line reason naming the file otherwise.
    /// </summary>
    public static EmbeddedDataDirectory Claim(string dataDirectory)
    {
        var directory = System.IO.Path.GetFullPath(dataDirectory);
        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"embedded store data directory {directory} cannot be created ({e.Message})", e);
        }
        EnsureWritable(directory);

        FileStream initLock;
        var lockPath = System.IO.Path.Combine(directory, LockFileName);
        try
        {
            initLock = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw InUse(directory, lockPath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException($"embedded store lock file {lockPath} cannot be opened ({e.Message})", e);
        }

        var claimed = new EmbeddedDataDirectory(directory, initLock);
        try
        {
            if (File.Exists(claimed.DatabasePath))
            {
                claimed.DatabaseExisted = true;
                claimed.LockDatabase();
                claimed.CheckHeader();
            }
            else
            {
                // A leftover from an initialisation that did not finish: it never became the store, so it holds no data.
                File.Delete(claimed.InitPath);
            }
            return claimed;
        }
        catch
        {
            claimed.Dispose();
            throw;
        }
    }

    /// <summary>Moves a freshly initialised store into place and locks it; the store appears complete or not at all.</summary>
    public void Publish()
    {
        File.Move(InitPath, DatabasePath);
        LockDatabase();
    }

    private void LockDatabase()
    {
        try
        {
            // flock(LOCK_EX) on the database itself, held until Dispose. Opened for reading only, so a read-only file
            // still gets locked and is then reported by the write check with its real cause.
            _databaseLock = new FileStream(DatabasePath, FileMode.Open, FileAccess.Read, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw InUse(Directory, DatabasePath, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException($"embedded store {DatabasePath} cannot be read ({e.Message}); make it readable and writable by the server", e);
        }
    }

    private void CheckHeader()
    {
        var stream = _databaseLock!;
        var length = stream.Length;
        if (length == 0)
            throw new InvalidOperationException(
                $"embedded store {DatabasePath} is empty (0 bytes); refusing to start rather than overwrite it: move it away to start a new store, or restore it from a backup");
        var header = new byte[SqliteHeader.Length];
        int read;
        try
        {
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"embedded store {DatabasePath} cannot be read ({e.Message}); move it away or restore it from a backup", e);
        }
        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
            throw new InvalidOperationException(
                $"embedded store {DatabasePath} is not a SQLite database (unrecognised header, {length} bytes); move it away or restore it from a backup");
    }

    private static void EnsureWritable(string directory)
    {
        // Root ignores permission bits, so only an attempt tells (read-only mounts, immutable directories).
        var probe = System.IO.Path.Combine(directory, WriteProbeFileName);
        try
        {
            using var _ = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"embedded store data directory {directory} is not writable ({e.Message}); the store needs to create its journal and lock files there", e);
        }
    }

    private static InvalidOperationException InUse(string directory, string lockedFile, Exception e) =>
        new($"the data directory {directory} is in use by another clusterregistry process (it holds the lock on {lockedFile})", e);

    public void Dispose()
    {
        _databaseLock?.Dispose();
        _initLock.Dispose();
    }
}
