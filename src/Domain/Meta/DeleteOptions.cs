namespace ClusterRegistry.Domain.Meta;

/// <summary>metav1.DeleteOptions, from a DELETE body or its query parameters.</summary>
public sealed class DeleteOptions
{
    public string? Kind { get; set; }
    public string? ApiVersion { get; set; }
    public long? GracePeriodSeconds { get; set; }
    public Preconditions? Preconditions { get; set; }
    public bool? OrphanDependents { get; set; }
    public string? PropagationPolicy { get; set; }
    public List<string>? DryRun { get; set; }
}

/// <summary>metav1.Preconditions: the delete proceeds only if the stored object still has these.</summary>
public sealed class Preconditions
{
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
}
