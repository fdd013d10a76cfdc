using System.Buffers;
using System.Text;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Clusters;

/// <summary>
/// A shared version from storage keeps its stored bytes and splices the resourceVersion in as it is written
/// (ADR-026): what it writes must be exactly what the serializer writes for the decoded object, whatever encoder
/// stored the bytes, and selectors must see what the object says.
/// </summary>
public sealed class SharedClusterTests
{
    private static string Written(SharedCluster version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        version.WriteJson(buffer);
        Assert.Equal(buffer.WrittenCount, version.JsonLength);
        Assert.Equal(buffer.WrittenSpan.ToArray(), version.Json.ToArray());
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Serialized(StoredObject stored) => Encoding.UTF8.GetString(ApiJson.Serialize(ClusterCodec.Decode(stored)));

    [Fact]
    public void StoredBytesOfTheEncoder_AreWrittenWithTheRevisionSpliced_AsTheSerializerWritesTheObject()
    {
        var cluster = new ClusterBuilder().WithLabel("env", "prod").WithCondition("Ready", "True").Build();
        var stored = new StoredObject("clusters/prod", ClusterCodec.Encode(cluster), 1234567);

        var version = SharedCluster.Of(stored);

        var written = Written(version);
        Assert.Equal(Serialized(stored), written);
        Assert.Contains("\"resourceVersion\":\"1234567\"", written);
        Assert.Equal("1234567", version.Object.Metadata.ResourceVersion);
        Assert.NotSame(version.Object, version.Object);
    }

    [Theory]
    // Another field order than the encoder's, and no apiVersion/kind: the stored bytes are not the wire JSON minus a few bytes.
    [InlineData("""{"spec":{},"metadata":{"labels":{"env":"prod"},"name":"prod"}}""")]
    [InlineData("""{"metadata":{"name":"prod","labels":{"env":"prod"}}}""")]
    public void StoredBytesOfAnotherEncoder_AreWrittenAsTheSerializerWritesTheObject(string json)
    {
        var stored = new StoredObject("clusters/prod", Encoding.UTF8.GetBytes(json), 42);

        Assert.Equal(Serialized(stored), Written(SharedCluster.Of(stored)));
    }

    [Theory]
    [InlineData("env=prod", null, true)]
    [InlineData("env=test", null, false)]
    [InlineData(null, "metadata.name=prod", true)]
    [InlineData(null, "metadata.name=other", false)]
    [InlineData("!env", null, false)]
    public void Selection_OfAStoredVersion_AnswersAsForTheObject(string? labels, string? fields, bool expected)
    {
        var cluster = new ClusterBuilder().WithLabel("env", "prod").Build();
        var version = SharedCluster.Of(new StoredObject("clusters/prod", ClusterCodec.Encode(cluster), 7));
        var selection = ClusterSelection.Parse(labels, fields);

        Assert.Equal(expected, selection.Matches(version));
        Assert.Equal(expected, selection.Matches(version.Object));
    }
}
