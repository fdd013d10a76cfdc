using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClusterRegistry.Domain.Meta;

/// <summary>The one JSON dialect of the API: camelCase names, nulls omitted, metav1.Time timestamps.</summary>
public static class ApiJson
{
    /// <summary>The deepest a request body or patched object may nest (kube-apiserver's decoders allow as much and more).</summary>
    public const int MaxDepth = 256;

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            PropertyNameCaseInsensitive = false,
            // Strictness is enforced by the schema walk in the decoder, which can report every unknown
            // field at once; the serializer itself skips what it does not know.
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            NumberHandling = JsonNumberHandling.Strict,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            // Objects sit a few levels below a body's root (lists, watch events), so leave room above MaxDepth.
            MaxDepth = MaxDepth + 16,
        };
        o.Converters.Add(new KubeTimeConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    public static T Deserialize<T>(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("null document");

    /// <summary>Deep copy through JSON: the only copy that cannot forget a field.</summary>
    public static T Clone<T>(T value) => Deserialize<T>(Serialize(value));

    public static bool JsonEquals<T>(T? a, T? b) =>
        (a is null && b is null) || (a is not null && b is not null && Serialize(a).AsSpan().SequenceEqual(Serialize(b)));
}

/// <summary>metav1.Time: RFC 3339 in UTC with whole seconds on output; any RFC 3339 precision on input.</summary>
public sealed class KubeTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var s = reader.GetString();
        if (s is null || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            throw new JsonException($"parsing time \"{s}\" as RFC 3339 failed");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
}
