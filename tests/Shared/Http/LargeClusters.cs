using System.Text.Json.Nodes;

namespace ClusterRegistry.Tests.Http;

/// <summary>Clusters of about 60 KB each, labelled gzip=LABEL: one is below the 128 KiB gzip threshold, their list above it.</summary>
public static class LargeClusters
{
    public const int Count = 3;
    public const int BlobLength = 60_000;

    public static async Task CreateAsync(HttpClient client, string label)
    {
        for (var i = 0; i < Count; i++)
        {
            var cluster = Api.NewCluster(Api.UniqueName("gzip"), new Dictionary<string, string> { ["gzip"] = label });
            cluster["metadata"]!["annotations"] = new JsonObject { ["example.com/blob"] = new string((char)('a' + i), BlobLength) };
            await Api.CreateAsync(client, cluster);
        }
    }
}
