namespace ClusterRegistry.Domain.Meta;

/// <summary>Names of a served resource as they appear in messages, discovery and Status details.</summary>
public sealed record GroupResource(string Group, string Version, string Resource, string Kind, string ListKind, string Singular)
{
    public string ApiVersion => Group + "/" + Version;
    /// <summary><c>clusters.clusterregistry.k8s.io</c>: used in NotFound, Conflict, Forbidden messages.</summary>
    public string Qualified => Resource + "." + Group;
    /// <summary><c>Cluster.clusterregistry.k8s.io</c>: used in Invalid messages.</summary>
    public string QualifiedKind => Kind + "." + Group;
}
