using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Selection;

namespace ClusterRegistry.Application.Clusters;

/// <summary>A parsed label and field selector over clusters.</summary>
public sealed class ClusterSelection
{
    private ClusterSelection(LabelSelector labels, FieldSelector fields)
    {
        Labels = labels;
        Fields = fields;
    }

    public LabelSelector Labels { get; }
    public FieldSelector Fields { get; }
    public bool IsEverything => Labels.IsEmpty && Fields.IsEmpty;

    /// <summary>Parses both selectors; a malformed one is a 400.</summary>
    public static ClusterSelection Parse(string? labelSelector, string? fieldSelector) =>
        new(LabelSelector.Parse(labelSelector), FieldSelector.Parse(fieldSelector, ClusterResource.SelectableFields));

    public bool Matches(Cluster cluster) => Matches(cluster.Metadata.Name, cluster.Metadata.Labels);

    /// <summary>The same answer from what a shared version keeps (it keeps no decoded object, see <see cref="SharedCluster"/>).</summary>
    public bool Matches(SharedCluster version) => Matches(version.Name, version.Labels);

    private bool Matches(string? name, IReadOnlyDictionary<string, string>? labels) =>
        Labels.Matches(labels)
        && Fields.Matches(name, static (field, name) => field switch
        {
            "metadata.name" => name,
            "metadata.namespace" => "",
            _ => null,
        });

    /// <summary>A storage filter; it decodes each candidate once per version, so use it only when the selection is not everything.</summary>
    public Func<StoredObject, bool>? ToFilter() => IsEverything ? null : stored => Matches(SharedCluster.Of(stored));
}
