namespace ClusterRegistry.Application.Clusters.Commands.PatchCluster;

/// <summary>The patch formats, by their Content-Type.</summary>
public enum PatchType
{
    /// <summary><c>application/json-patch+json</c> (RFC 6902).</summary>
    Json,
    /// <summary><c>application/merge-patch+json</c> (RFC 7386).</summary>
    Merge,
    /// <summary><c>application/strategic-merge-patch+json</c> (Kubernetes strategic merge patch).</summary>
    Strategic,
}
