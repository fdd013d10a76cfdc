using ClusterRegistry.Crinit.Cli;

namespace ClusterRegistry.Tests.Crinit;

/// <summary>Init options as the command line would make them, for the builders under test.</summary>
internal static class Options
{
    public static InitOptions Init(Mode mode, StorageChoice? storage = null, string serviceType = "LoadBalancer", bool token = false,
        IReadOnlyDictionary<string, string>? overrides = null) => new()
        {
            Host = new HostOptions(mode, "reg", null, null, "clusterregistry", false, TimeSpan.FromMinutes(3)),
            Image = "clusterregistry:local",
            ServiceType = serviceType,
            Storage = storage ?? new StorageChoice.Embedded(true, "10Gi", null),
            EnableTokenAuth = token,
            ArgOverrides = overrides ?? new Dictionary<string, string>(),
        };
}
