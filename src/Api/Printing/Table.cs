using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Printing;

/// <summary>meta.k8s.io Table, the server-side printing format kubectl asks for.</summary>
public sealed class Table
{
    public string Kind { get; set; } = "Table";
    public string ApiVersion { get; set; } = "meta.k8s.io/v1";
    public ListMeta Metadata { get; set; } = new();
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<TableColumnDefinition>? ColumnDefinitions { get; set; }
    public List<TableRow> Rows { get; set; } = [];
}

public sealed record TableColumnDefinition(string Name, string Type, string Format, string Description, int Priority);

public sealed class TableRow
{
    public List<object?> Cells { get; set; } = [];
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonNode? Object { get; set; }
}

/// <summary>meta.k8s.io PartialObjectMetadata: an object reduced to its metadata.</summary>
public sealed class PartialObjectMetadata
{
    public string Kind { get; set; } = "PartialObjectMetadata";
    public string ApiVersion { get; set; } = "meta.k8s.io/v1";
    public ObjectMeta Metadata { get; set; } = new();
}

/// <summary>meta.k8s.io PartialObjectMetadataList.</summary>
public sealed class PartialObjectMetadataList
{
    public string Kind { get; set; } = "PartialObjectMetadataList";
    public string ApiVersion { get; set; } = "meta.k8s.io/v1";
    public ListMeta Metadata { get; set; } = new();
    public List<PartialObjectMetadata> Items { get; set; } = [];
}
