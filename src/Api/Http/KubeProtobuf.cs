using System.Text;
using System.Text.Json.Nodes;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// Just enough of Kubernetes' protobuf encoding to read what kubectl's typed clients POST in protobuf (the
/// <c>k8s\0</c> magic, a runtime.Unknown envelope, then the object): today the SelfSubjectAccessReview of
/// <c>kubectl auth can-i</c>. Field numbers from k8s.io/api/authorization/v1/generated.proto. Answers are JSON.
/// </summary>
public static class KubeProtobuf
{
    private static readonly byte[] Magic = [0x6b, 0x38, 0x73, 0x00];

    public static bool IsProtobuf(HttpRequest request) =>
        AcceptHeader.ContentType(request.ContentType) == MediaTypes.Protobuf;

    /// <summary>A SelfSubjectAccessReview from its protobuf encoding, as the JSON the endpoint works on.</summary>
    public static JsonObject ReadSelfSubjectAccessReview(byte[] body)
    {
        if (body.Length < Magic.Length || !body.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw ApiErrors.BadRequest("protobuf body without the k8s envelope");
        byte[]? raw = null;
        foreach (var (field, value) in Fields(body.AsMemory(Magic.Length)))
            if (field == 2) raw = value.ToArray();
        if (raw is null) throw ApiErrors.BadRequest("protobuf envelope without an object");

        var spec = new JsonObject();
        foreach (var (field, value) in Fields(raw))
        {
            if (field != 2) continue;
            foreach (var (specField, attributes) in Fields(value))
            {
                if (specField == 1) spec["resourceAttributes"] = Strings(attributes,
                    [(1, "namespace"), (2, "verb"), (3, "group"), (4, "version"), (5, "resource"), (6, "subresource"), (7, "name")]);
                else if (specField == 2) spec["nonResourceAttributes"] = Strings(attributes, [(1, "path"), (2, "verb")]);
            }
        }
        return new JsonObject { ["spec"] = spec };
    }

    private static JsonObject Strings(ReadOnlyMemory<byte> message, (int Field, string Name)[] names)
    {
        var o = new JsonObject();
        foreach (var (field, value) in Fields(message))
            if (names.FirstOrDefault(n => n.Field == field).Name is { } name) o[name] = Encoding.UTF8.GetString(value.Span);
        return o;
    }

    /// <summary>The length-delimited fields of a message; other wire types are skipped.</summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var pos = 0;
        while (pos < message.Length)
        {
            var key = Varint(message.Span, ref pos);
            var field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0: Varint(message.Span, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    var length = (int)Varint(message.Span, ref pos);
                    if (length < 0 || pos + length > message.Length) throw ApiErrors.BadRequest("truncated protobuf message");
                    yield return (field, message.Slice(pos, length));
                    pos += length;
                    break;
                default: throw ApiErrors.BadRequest("unsupported protobuf wire type");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= span.Length) throw ApiErrors.BadRequest("truncated protobuf varint");
            var b = span[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw ApiErrors.BadRequest("malformed protobuf varint");
    }
}
