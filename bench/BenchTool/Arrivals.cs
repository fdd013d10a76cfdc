using System.Text;

namespace BenchTool;

/// <summary>
/// When each watcher read each event: one log per watcher, appended only by its watcher and read by the main loop
/// while the watchers run. Nothing shared is written per event (a dictionary and bags shared by 3,000 watchers had
/// them contend on the client's two cores, which the server needs too).
/// </summary>
public sealed class Arrivals(int watchers, int capacity)
{
    private readonly WatcherLog[] _logs = Enumerable.Range(0, watchers).Select(_ => new WatcherLog(capacity)).ToArray();

    public WatcherLog Log(int watcher) => _logs[watcher];

    /// <summary>Events read so far, over every watcher, whose resourceVersion is one of <paramref name="rvs"/>.</summary>
    public long Count(IEnumerable<long> rvs)
    {
        var set = rvs.ToHashSet();
        long n = 0;
        foreach (var log in _logs)
        {
            var count = log.Count;
            for (var i = 0; i < count; i++)
                if (set.Contains(log.Rv(i))) n++;
        }
        return n;
    }

    /// <summary>When each watcher read the event with resourceVersion <paramref name="rv"/>.</summary>
    public IEnumerable<double> Of(long rv)
    {
        foreach (var log in _logs)
        {
            var count = log.Count;
            for (var i = 0; i < count; i++)
                if (log.Rv(i) == rv) yield return log.At(i);
        }
    }

    /// <summary>One watcher's events: a fixed capacity (its events are known in advance), published by count.</summary>
    public sealed class WatcherLog(int capacity)
    {
        private readonly long[] _rvs = new long[capacity];
        private readonly double[] _ats = new double[capacity];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public long Rv(int i) => _rvs[i];

        public double At(int i) => _ats[i];

        /// <summary>Records each complete event line of <paramref name="bytes"/> as read at <paramref name="at"/>; the bytes consumed (through the last newline).</summary>
        public int AddLines(ReadOnlySpan<byte> bytes, double at)
        {
            var start = 0;
            int newline;
            while ((newline = bytes[start..].IndexOf((byte)'\n')) >= 0)
            {
                Add(ResourceVersionOf(bytes.Slice(start, newline)), at);
                start += newline + 1;
            }
            return start;
        }

        private void Add(long rv, double at)
        {
            var i = _count;
            if (i == _rvs.Length) throw new InvalidOperationException($"a watcher read more than the {i} events expected");
            _rvs[i] = rv;
            _ats[i] = at;
            Volatile.Write(ref _count, i + 1);
        }

        /// <summary>The event object's metadata.resourceVersion (a Cluster has no other field of that name).</summary>
        private static long ResourceVersionOf(ReadOnlySpan<byte> line)
        {
            var key = "\"resourceVersion\":\""u8;
            var at = line.IndexOf(key);
            if (at < 0) throw new InvalidDataException("watch event without a resourceVersion: " + Encoding.UTF8.GetString(line));
            var value = line[(at + key.Length)..];
            return System.Buffers.Text.Utf8Parser.TryParse(value, out long rv, out var length) && value[length] == '"'
                ? rv
                : throw new InvalidDataException("watch event with a resourceVersion that is not a number: " + Encoding.UTF8.GetString(line));
        }
    }
}
