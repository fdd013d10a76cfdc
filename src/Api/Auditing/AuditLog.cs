using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ClusterRegistry.Api.Auditing;

/// <summary>The audit levels of kube-apiserver, in increasing detail.</summary>
public enum AuditLevel
{
    None,
    Metadata,
    Request,
    RequestResponse,
}

/// <summary>Where and how much to audit (<paramref name="Policy"/>); rotation as kube-apiserver's --audit-log-max* flags.</summary>
public sealed record AuditOptions(string Path, AuditPolicy Policy, int MaxSizeMegabytes = 100, int MaxBackups = 10, int MaxAgeDays = 0);

/// <summary>
/// Appends audit.k8s.io/v1 Events as JSON lines, one per request stage, rotating the file by size. Writes are
/// serialized; a failure to write is reported to the log and never fails the request.
/// </summary>
public sealed class AuditLog(AuditOptions options, ILogger<AuditLog> logger) : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _gate = new();
    private FileStream? _stream;

    /// <summary>How much to record of a request and at which stages.</summary>
    public AuditPolicy Policy => options.Policy;

    public void Write(JsonObject auditEvent)
    {
        var line = Encoding.UTF8.GetBytes(auditEvent.ToJsonString(JsonOptions) + "\n");
        lock (_gate)
        {
            try
            {
                _stream ??= Open();
                if (options.MaxSizeMegabytes > 0 && _stream.Length + line.Length > options.MaxSizeMegabytes * 1024L * 1024L) Rotate();
                _stream.Write(line);
                _stream.Flush();
            }
            catch (IOException e)
            {
                logger.LogError(e, "could not write the audit log {Path}", options.Path);
            }
        }
    }

    private FileStream Open()
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var stream = new FileStream(options.Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(options.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return stream;
    }

    private void Rotate()
    {
        _stream!.Dispose();
        var full = System.IO.Path.GetFullPath(options.Path);
        var stamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH-mm-ss.fff");
        var name = System.IO.Path.GetFileNameWithoutExtension(full);
        var ext = System.IO.Path.GetExtension(full);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        File.Move(full, System.IO.Path.Combine(dir, $"{name}-{stamp}{ext}"));
        var backups = Directory.GetFiles(dir, $"{name}-*{ext}").OrderByDescending(f => f, StringComparer.Ordinal).ToList();
        foreach (var old in backups.Skip(options.MaxBackups > 0 ? options.MaxBackups : int.MaxValue)) File.Delete(old);
        if (options.MaxAgeDays > 0)
            foreach (var old in backups.Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddDays(-options.MaxAgeDays))) File.Delete(old);
        _stream = Open();
    }

    /// <summary>The single event of a request that failed authentication (kube-apiserver's failed-authentication audit).</summary>
    public void WriteFailedAuthentication(HttpContext http)
    {
        var info = Hosting.RequestInfo.Of(http);
        // No user: rules that name users or groups do not match, as in kube-apiserver.
        var decision = Policy.Decide(null, info, http.Request.Path.Value ?? "/");
        if (!decision.Records(AuditStage.ResponseStarted)) return;
        var auditId = Guid.NewGuid().ToString();
        http.Response.Headers["Audit-Id"] = auditId;
        var now = DateTimeOffset.UtcNow;
        Write(AuditMiddleware.Event(decision.Level, http, auditId, AuditStage.ResponseStarted, info, now, now, 401, null, null));
    }

    public void Dispose()
    {
        lock (_gate) _stream?.Dispose();
    }
}
