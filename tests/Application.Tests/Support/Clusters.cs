using System.Text;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.ApplicationTests.Support;

/// <summary>Request bodies, as JSON a client sends.</summary>
public static class Clusters
{
    public const string ApiVersion = "clusterregistry.k8s.io/v1alpha1";

    /// <summary>A cluster with one server endpoint.</summary>
    public static string New(string name, string server = "https://a.example:6443", string labels = "null") =>
        $$"""
        {"apiVersion":"{{ApiVersion}}","kind":"Cluster","metadata":{"name":"{{name}}","labels":{{labels}} },
         "spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"clientCIDR":"0.0.0.0/0","serverAddress":"{{server}}"}]} } }
        """;

    /// <summary>An object as a client sends it back.</summary>
    public static string ToJson(Cluster cluster) => Encoding.UTF8.GetString(ApiJson.Serialize(cluster));
}
