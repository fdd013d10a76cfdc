using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters.Queries.ListClusters;

/// <summary>"Not older than N" for an N the store has not reached: wait briefly, then 504 as kube-apiserver does.</summary>
public static class ResourceVersionWait
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(3);

    public static async ValueTask UntilAtLeastAsync(IObjectStorage storage, long revision, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + MaxWait;
        long current;
        while ((current = await StorageErrors.Guard(() => storage.CurrentRevisionAsync(ct), "", "list")) < revision)
        {
            if (DateTime.UtcNow >= deadline)
                throw ApiErrors.TooLargeResourceVersion(Domain.Meta.ResourceVersion.Format(revision), current);
            await Task.Delay(100, ct);
        }
    }
}
