namespace ClusterRegistry.Application.Clusters;

/// <summary>Storage keys of clusters, relative to the backend's prefix (etcd: <c>{prefix}/clusters/{name}</c>).</summary>
public static class ClusterKeys
{
    public const string Prefix = "clusters/";

    public static string For(string name) => Prefix + name;

    public static string NameOf(string key) => key[Prefix.Length..];
}
