using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Clusters;

/// <summary>Arranges valid clusters for tests; each With* changes one thing.</summary>
public sealed class ClusterBuilder
{
    private readonly Cluster _cluster = new()
    {
        ApiVersion = "clusterregistry.k8s.io/v1alpha1",
        Kind = "Cluster",
        Metadata = new ObjectMeta { Name = "prod", Uid = "u-1", Generation = 1, CreationTimestamp = DateTimeOffset.UnixEpoch },
        Spec = new ClusterSpec
        {
            KubernetesApiEndpoints = new KubernetesApiEndpoints
            {
                ServerEndpoints = [new ServerAddressByClientCidr { ClientCidr = "0.0.0.0/0", ServerAddress = "prod.example.com:6443" }],
            },
        },
    };

    public ClusterBuilder WithName(string name) { _cluster.Metadata.Name = name; return this; }
    public ClusterBuilder WithLabel(string key, string value) { (_cluster.Metadata.Labels ??= [])[key] = value; return this; }
    public ClusterBuilder WithEndpoint(string? cidr, string? address)
    {
        _cluster.Spec!.KubernetesApiEndpoints!.ServerEndpoints!.Add(new ServerAddressByClientCidr { ClientCidr = cidr, ServerAddress = address });
        return this;
    }
    public ClusterBuilder WithCaBundle(byte[] bytes) { _cluster.Spec!.KubernetesApiEndpoints!.CaBundle = bytes; return this; }
    public ClusterBuilder WithCondition(string? type, string? status)
    {
        var status0 = _cluster.Status ??= new ClusterStatus();
        (status0.Conditions ??= []).Add(new ClusterCondition { Type = type, Status = status });
        return this;
    }
    public ClusterBuilder WithFinalizer(string f) { (_cluster.Metadata.Finalizers ??= []).Add(f); return this; }
    public Cluster Build() => ApiJson.Clone(_cluster);
}
