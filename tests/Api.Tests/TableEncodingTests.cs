using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Api.Http;
using ClusterRegistry.Api.Printing;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Queries.ListClusters;
using ClusterRegistry.Application.Clusters.Queries.WatchClusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.Http;

/// <summary>
/// Table lists are written from the cached versions' bytes (ADR-027): they must be, byte for byte, what the serializer
/// writes for <see cref="ClusterPrinter.ToTable"/> of the decoded objects — the form kubectl 1.20 and 1.32 print — for
/// every includeObject, both Table versions, and versions whose bytes cannot be read in place (no stored bytes, bytes
/// of another encoder, fields the reader does not expect).
/// </summary>
public sealed class TableEncodingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 14, 0, 0, TimeSpan.Zero);

    private static Cluster Cluster(string name, Action<Cluster>? change = null)
    {
        var c = new Cluster
        {
            ApiVersion = "clusterregistry.k8s.io/v1alpha1",
            Kind = "Cluster",
            Metadata = new ObjectMeta
            {
                Name = name,
                Uid = "u-" + name,
                Generation = 3,
                CreationTimestamp = Now.AddMinutes(-7).AddSeconds(-3),
                Labels = new() { ["env"] = "prod", ["quote"] = "a\"b<c>&'d", ["ünï"] = "çödé ✓" },
                ManagedFields =
                [
                    new ManagedFieldsEntry
                    {
                        Manager = "kubectl", Operation = "Update", ApiVersion = "clusterregistry.k8s.io/v1alpha1", Time = Now.AddHours(-1),
                        FieldsType = "FieldsV1",
                        FieldsV1 = JsonNode.Parse("""{"f:metadata":{"f:labels":{"f:env":{}}},"f:spec":{"k:{\"clientCIDR\":\"0.0.0.0/0\"}":{}}}""")!.AsObject(),
                    },
                ],
            },
            Spec = new ClusterSpec
            {
                KubernetesApiEndpoints = new KubernetesApiEndpoints
                {
                    ServerEndpoints =
                    [
                        new ServerAddressByClientCidr { ClientCidr = "0.0.0.0/0", ServerAddress = name + ".example.com:6443" },
                        new ServerAddressByClientCidr { ClientCidr = "10.0.0.0/8", ServerAddress = "10.1.2.3:6443" },
                        null!,
                        new ServerAddressByClientCidr { ClientCidr = null, ServerAddress = "<no cidr>" },
                    ],
                    CaBundle = [1, 2, 3],
                },
            },
            Status = new ClusterStatus
            {
                Conditions =
                [
                    null!,
                    new ClusterCondition { Type = "Healthy", Status = "False" },
                    new ClusterCondition { Type = "Ready", Status = "True", Reason = "Probed", LastTransitionTime = Now },
                    new ClusterCondition { Type = "Ready", Status = "Unknown" },
                ],
                Version = new ClusterVersion { Kubernetes = "v1.32.0" },
            },
        };
        change?.Invoke(c);
        return c;
    }

    /// <summary>Clusters of every shape the printer handles, as the watch cache holds them.</summary>
    private static List<SharedCluster> Versions()
    {
        var clusters = new[]
        {
            Cluster("full"),
            Cluster("minimal", c => (c.Metadata, c.Spec, c.Status) = (new ObjectMeta { Name = "minimal" }, null, null)),
            Cluster("no-endpoints", c => c.Spec!.KubernetesApiEndpoints!.ServerEndpoints = []),
            Cluster("null-first", c => c.Spec!.KubernetesApiEndpoints!.ServerEndpoints![0] = null!),
            Cluster("ready-no-status", c => c.Status!.Conditions = [new ClusterCondition { Type = "Ready" }]),
            Cluster("old", c => c.Metadata.CreationTimestamp = Now.AddDays(-400)),
            Cluster("future", c => c.Metadata.CreationTimestamp = Now.AddMinutes(5)),
        };
        var versions = clusters.Select((c, i) => SharedCluster.Of(new StoredObject("clusters/" + c.Metadata.Name, ClusterCodec.Encode(c), 100 + i))).ToList();
        // Bytes that are not the wire JSON minus the resourceVersion (another field order, no apiVersion): the reader
        // may not use them, and the row comes from the decoded object.
        versions.Add(SharedCluster.Of(new StoredObject("clusters/other", Encoding.UTF8.GetBytes(
            """{"status":{"conditions":[{"status":"False","type":"Ready"}]},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"serverAddress":"o:1","clientCIDR":"1.0.0.0/8"}]}},"metadata":{"name":"other","creationTimestamp":"2026-12-01T10:00:00Z"}}"""),
            200)));
        // An object that was never stored (deletecollection's answer).
        versions.Add(new SharedCluster(ClusterCodec.Decode(ClusterCodec.Encode(Cluster("unstored")), 300)));
        return versions;
    }

    private static string Expected(ClusterVersionList list, string includeObject, string apiVersion) =>
        Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(
            ClusterPrinter.ToTable(list.Items.Select(v => v.Object), list.Metadata, includeObject, true, Now, apiVersion), ApiJson.Options));

    private static string Written(ClusterVersionList list, string includeObject, string apiVersion)
    {
        var body = new ArrayBufferWriter<byte>();
        TableEncoding.Write(body, list, includeObject, Now, apiVersion);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    [Theory]
    [InlineData("Metadata", "meta.k8s.io/v1")]
    [InlineData("Object", "meta.k8s.io/v1")]
    [InlineData("None", "meta.k8s.io/v1")]
    [InlineData("Metadata", "meta.k8s.io/v1beta1")]
    public void TableOfCachedVersions_IsTheSerializersTableOfTheDecodedObjects(string includeObject, string apiVersion)
    {
        var list = new ClusterVersionList(new ListMeta { ResourceVersion = "400", Continue = "abc", RemainingItemCount = 12 }, Versions());

        var written = Written(list, includeObject, apiVersion);

        Assert.Equal(Expected(list, includeObject, apiVersion), written);
        Assert.Contains("\"cells\":[\"full\",\"full.example.com:6443\",\"0.0.0.0/0\",\"7m3s\",\"True\",\"10.0.0.0/8=10.1.2.3:6443,=<no cidr>\"]", written);
    }

    [Fact]
    public void EmptyTable_IsTheSerializersTable()
    {
        var list = new ClusterVersionList(new ListMeta { ResourceVersion = "7" }, []);

        Assert.Equal(Expected(list, "Metadata", "meta.k8s.io/v1"), Written(list, "Metadata", "meta.k8s.io/v1"));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"x"}}""", "x", "")]
    [InlineData("""{"metadata":{"name":7}}""", null, null)]
    [InlineData("""{"metadata":{"name":"x","creationTimestamp":"yesterday"}}""", null, null)]
    [InlineData("""{"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"serverAddress":"a:1"}]}}}""", null, null)]
    [InlineData("""{"metadata":{},"spec":{"kubernetesApiEndpoints":{"serverEndpoints":[{"serverAddress":"a:1"}]}}}""", "", "a:1")]
    public void Row_IsReadFromJsonTheSerializerCouldWrite_AndRefusedOtherwise(string json, string? name, string? server)
    {
        var row = ClusterRow.Read(Encoding.UTF8.GetBytes(json));

        Assert.Equal(name, row?.Name);
        Assert.Equal(server, row?.Server);
    }

    // What a single-object GET and a watch event wrote before ADR-036: the serializer's Table of the decoded object.
    private static string ExpectedOne(SharedCluster version, string includeObject, bool withColumns, DateTimeOffset now, string apiVersion)
    {
        var o = version.Object;
        return Encoding.UTF8.GetString(ApiJson.Serialize(
            ClusterPrinter.ToTable([o], new ListMeta { ResourceVersion = o.Metadata.ResourceVersion }, includeObject, withColumns, now, apiVersion)));
    }

    [Theory]
    [InlineData("Metadata", "meta.k8s.io/v1", true)]
    [InlineData("Object", "meta.k8s.io/v1", true)]
    [InlineData("None", "meta.k8s.io/v1", true)]
    [InlineData("Metadata", "meta.k8s.io/v1beta1", true)]
    [InlineData("Object", "meta.k8s.io/v1beta1", false)]
    [InlineData("Metadata", "meta.k8s.io/v1", false)]
    public void OneRowTable_IsTheSerializersTableOfTheDecodedObject(string includeObject, string apiVersion, bool withColumns)
    {
        foreach (var version in Versions())
        {
            var body = new ArrayBufferWriter<byte>();
            TableEncoding.WriteOne(body, version, includeObject, withColumns, Now, apiVersion);

            Assert.Equal(ExpectedOne(version, includeObject, withColumns, Now, apiVersion), Encoding.UTF8.GetString(body.WrittenSpan));
        }
    }

    /// <summary>
    /// A Table watch's event line after the first is shared by the watchers of the event (ADR-036): whoever writes it,
    /// whenever, it is the line the serializer writes for the one-row Table without columns at the time of writing.
    /// </summary>
    [Theory]
    [InlineData("Metadata", "meta.k8s.io/v1")]
    [InlineData("Object", "meta.k8s.io/v1")]
    [InlineData("None", "meta.k8s.io/v1beta1")]
    public void SharedWatchTableLine_IsTheSerializersEventLine_ForEveryTypeAndTimeOfWriting(string includeObject, string apiVersion)
    {
        foreach (var version in Versions())
        {
            // The same event written again within the same printed Age, by another event type, by another option,
            // and once the Age has moved on.
            (string Type, DateTimeOffset At, string Include, string TableVersion)[] writes =
            [
                (WatchEventType.Modified, Now, includeObject, apiVersion),
                (WatchEventType.Modified, Now.AddMilliseconds(300), includeObject, apiVersion),
                (WatchEventType.Added, Now.AddMilliseconds(400), includeObject, apiVersion),
                (WatchEventType.Modified, Now.AddMilliseconds(500), includeObject == "None" ? "Object" : "None", apiVersion),
                (WatchEventType.Modified, Now.AddMilliseconds(600), includeObject, apiVersion == "meta.k8s.io/v1" ? "meta.k8s.io/v1beta1" : "meta.k8s.io/v1"),
                (WatchEventType.Modified, Now.AddSeconds(10), includeObject, apiVersion),
                (WatchEventType.Deleted, Now.AddDays(3), includeObject, apiVersion),
            ];
            foreach (var (type, at, include, tableVersion) in writes)
            {
                var o = version.Object;
                var expected = WatchEventEncoding.Line(type,
                    ClusterPrinter.ToTable([o], new ListMeta { ResourceVersion = o.Metadata.ResourceVersion }, include, false, at, tableVersion));
                var body = new ArrayBufferWriter<byte>();

                WatchTableLines.Write(body, type, version, include, tableVersion, at);

                Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(body.WrittenSpan));
            }
        }
    }
}
