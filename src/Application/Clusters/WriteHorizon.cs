namespace ClusterRegistry.Application.Clusters;

/// <summary>
/// The highest revision at which this process has acknowledged a write. Updates and deletes start from the watch
/// cache's copy of the object once the cache has caught up with it (<see cref="UpdateStart"/>), so a client's next
/// write after its own acknowledged one starts from what it wrote instead of an older version that would cost a
/// refused compare-and-swap. Other replicas' writes are not counted: a start that misses them costs a retry, never a
/// wrong answer.
/// </summary>
public sealed class WriteHorizon
{
    private long _revision;

    public long Revision => Volatile.Read(ref _revision);

    public void Advance(long revision)
    {
        var seen = Volatile.Read(ref _revision);
        while (revision > seen)
        {
            var was = Interlocked.CompareExchange(ref _revision, revision, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}
