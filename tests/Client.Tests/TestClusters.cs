using ClusterRegistry.Client.Models;
using k8s.Models;

namespace ClusterRegistry.Tests.Client;

/// <summary>Cluster objects for the tests; endpoints are documentation addresses nothing connects to.</summary>
public static class TestClusters
{
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..10]}";

    public static string UniqueValue() => Guid.NewGuid().ToString("N")[..12];

    public static Cluster New(string name, IDictionary<string, string>? labels = null, string address = "192.0.2.10:6443") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new ClusterSpec
        {
            KubernetesApiEndpoints = new KubernetesApiEndpoints
            {
                ServerEndpoints = [new ServerAddressByClientCidr { ClientCidr = "0.0.0.0/0", ServerAddress = address }],
            },
        },
    };

    /// <summary>Polls <paramref name="condition"/> until it holds, failing with <paramref name="describe"/> after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> describe, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not reached within {seconds} s: {describe()}");
            await Task.Delay(100);
        }
    }
}
