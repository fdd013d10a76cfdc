using System.Buffers;
using System.Runtime.CompilerServices;
using ClusterRegistry.Api.Printing;
using ClusterRegistry.Application.Clusters;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// The event lines of Table watches (<c>kubectl get -w</c>), shared by the watchers of one event (ADR-036). A line
/// without column definitions (every event of a watch but its first) depends only on the event's type and version,
/// the Table's version, includeObject and the row's Age as printed at the time of writing; the first watcher to write
/// it encodes it (its row read from the version's bytes, <see cref="TableEncoding"/>), and the next ones with the same
/// options write the same bytes while the Age still prints the same. A small direct-mapped table of recent lines holds
/// them: a miss (a slot taken by another event, an Age that moved on) only encodes the line again, and nothing is kept
/// per cached version. Rows that came from the decoded object (no bytes to read) are not shared.
/// </summary>
public static class WatchTableLines
{
    // Fan-out writes one event to every watcher before the next few arrive; 64 slots hold the lines of several
    // events for each of the six Table options (two Table versions, three includeObject values).
    private const int Slots = 64;
    private static readonly Line?[] Recent = new Line?[Slots];

    private sealed record Line(SharedCluster Version, string Type, string IncludeObject, string ApiVersion, ClusterRow Row, string Age, byte[] Bytes);

    /// <summary>Writes the event line of <paramref name="version"/> as a one-row Table without column definitions.</summary>
    public static void Write(IBufferWriter<byte> body, string type, SharedCluster version, string includeObject, string apiVersion,
        DateTimeOffset now)
    {
        var slot = (int)((uint)HashCode.Combine(RuntimeHelpers.GetHashCode(version), type, includeObject, apiVersion) % Slots);
        if (Volatile.Read(ref Recent[slot]) is { } line && ReferenceEquals(line.Version, version) && line.Type == type
            && line.IncludeObject == includeObject && line.ApiVersion == apiVersion && line.Row.Age(now) == line.Age)
        {
            body.Write(line.Bytes);
            return;
        }
        var buffer = new ArrayBufferWriter<byte>(1024);
        WatchEventEncoding.WritePrefix(buffer, type);
        var row = TableEncoding.WriteOne(buffer, version, includeObject, withColumns: false, now, apiVersion);
        WatchEventEncoding.WriteSuffix(buffer);
        var bytes = buffer.WrittenSpan.ToArray();
        // Racing writers of one event store equal lines; whichever stays serves the next watchers.
        if (row is not null) Volatile.Write(ref Recent[slot], new Line(version, type, includeObject, apiVersion, row, row.Age(now), bytes));
        body.Write(bytes);
    }
}
