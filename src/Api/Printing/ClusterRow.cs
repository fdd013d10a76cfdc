using System.Globalization;
using System.Text;
using System.Text.Json;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Printing;

/// <summary>
/// What a Table row of a Cluster shows (<see cref="ClusterPrinter.Cells"/>), read from the object's JSON with
/// <see cref="Utf8JsonReader"/> instead of decoding the whole object (ADR-027), and where its metadata lies in that
/// JSON (the row's PartialObjectMetadata is those bytes).
/// </summary>
public sealed record ClusterRow(string Name, string Server, string Cidr, DateTimeOffset? Created, string Ready, string More,
    int MetadataStart, int MetadataEnd)
{
    /// <summary>The cells as <see cref="ClusterPrinter.Cells"/> computes them from the decoded object.</summary>
    public List<object?> Cells(DateTimeOffset now) => [Name, Server, Cidr, Age(now), Ready, More];

    /// <summary>The Age cell at <paramref name="now"/>, the one cell that changes with time.</summary>
    public string Age(DateTimeOffset now) => Created is { } t ? HumanDuration.Format(now - t) : "<unknown>";

    /// <summary>
    /// The row of a Cluster's JSON as the serializer writes it (the fields in any order); null when the JSON is not
    /// what it could write (a field of another type, an unreadable time): the caller decodes the object instead.
    /// </summary>
    public static ClusterRow? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            return ReadObject(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static ClusterRow? ReadObject(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = ApiJson.Options.MaxDepth });
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return null;
        string? name = null, server = null, cidr = null, ready = null, more = null;
        DateTimeOffset? created = null;
        int metaStart = -1, metaEnd = -1;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("metadata"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartObject) return null;
                metaStart = (int)r.TokenStartIndex;
                if (!ReadMetadata(ref r, ref name, ref created)) return null;
                metaEnd = (int)r.BytesConsumed;
            }
            else if (r.ValueTextEquals("spec"u8))
            {
                r.Read();
                ReadSpec(ref r, ref server, ref cidr, ref more);
            }
            else if (r.ValueTextEquals("status"u8))
            {
                r.Read();
                ReadStatus(ref r, ref ready);
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
        if (r.TokenType != JsonTokenType.EndObject || metaStart < 0) return null;
        return new ClusterRow(name ?? "", server ?? "", cidr ?? "", created, ready ?? "", more ?? "", metaStart, metaEnd);
    }

    private static bool ReadMetadata(ref Utf8JsonReader r, ref string? name, ref DateTimeOffset? created)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("name"u8))
            {
                r.Read();
                name = r.GetString();
            }
            else if (r.ValueTextEquals("creationTimestamp"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Null) created = null;
                // As KubeTimeConverter reads it, so the age is the decoded object's.
                else if (DateTimeOffset.TryParse(r.GetString(), CultureInfo.InvariantCulture,
                             DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)) created = t;
                else return false;
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    // spec.kubernetesApiEndpoints.serverEndpoints: the first entry's address and CIDR, the others as cidr=address.
    private static void ReadSpec(ref Utf8JsonReader r, ref string? server, ref string? cidr, ref string? more)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("kubernetesApiEndpoints"u8))
            {
                r.Read();
                r.Skip();
                continue;
            }
            r.Read();
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var endpoints = r.ValueTextEquals("serverEndpoints"u8);
                r.Read();
                if (!endpoints || r.TokenType != JsonTokenType.StartArray)
                {
                    r.Skip();
                    continue;
                }
                ReadEndpoints(ref r, ref server, ref cidr, ref more);
            }
        }
    }

    private static void ReadEndpoints(ref Utf8JsonReader r, ref string? server, ref string? cidr, ref string? more)
    {
        StringBuilder? others = null;
        var index = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            var first = index++ == 0;
            if (r.TokenType != JsonTokenType.StartObject)
            {
                // A null entry: the first one prints as empty cells, later ones are left out.
                r.Skip();
                continue;
            }
            var (clientCidr, address) = ReadTwoStrings(ref r, "clientCIDR"u8, "serverAddress"u8);
            if (first)
            {
                (server, cidr) = (address, clientCidr);
                continue;
            }
            others = others is null ? new StringBuilder() : others.Append(',');
            others.Append(clientCidr).Append('=').Append(address);
        }
        more = others?.ToString();
    }

    // status.conditions: the status of the first condition of type Ready.
    private static void ReadStatus(ref Utf8JsonReader r, ref string? ready)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var conditions = r.ValueTextEquals("conditions"u8);
            r.Read();
            if (!conditions || r.TokenType != JsonTokenType.StartArray)
            {
                r.Skip();
                continue;
            }
            var found = false;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (r.TokenType != JsonTokenType.StartObject)
                {
                    r.Skip();
                    continue;
                }
                var (type, status) = ReadTwoStrings(ref r, "type"u8, "status"u8);
                if (found || type != "Ready") continue;
                (ready, found) = (status, true);
            }
        }
    }

    // The string fields a and b of the object the reader is at (its StartObject), the others skipped; the reader ends
    // on the object's EndObject. A field of another type throws, and the caller decodes the object instead.
    private static (string? A, string? B) ReadTwoStrings(ref Utf8JsonReader r, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        string? first = null, second = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals(a))
            {
                r.Read();
                first = r.GetString();
            }
            else if (r.ValueTextEquals(b))
            {
                r.Read();
                second = r.GetString();
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
        return (first, second);
    }
}
