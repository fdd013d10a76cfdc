using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Crinit;

/// <summary>The crinit test classes share one host cluster (a kube-apiserver takes ~400 MB and seconds to start) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class CrinitHostCollection : ICollectionFixture<HostCluster>
{
    public const string Name = "crinit host cluster";
}
