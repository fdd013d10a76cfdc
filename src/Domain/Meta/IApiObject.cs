namespace ClusterRegistry.Domain.Meta;

/// <summary>An object with type and object metadata: what storage keeps and the API serves.</summary>
public interface IApiObject
{
    string? ApiVersion { get; set; }
    string? Kind { get; set; }
    ObjectMeta Metadata { get; set; }
}
