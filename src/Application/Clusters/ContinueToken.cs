using System.Text;
using System.Text.Json;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.Clusters;

/// <summary>The opaque <c>continue</c> token of a paged list: the revision the list was read at and the last key returned.</summary>
public sealed record ContinueToken(long Revision, string StartAfter)
{
    private sealed record Wire(string v, long rv, string start);

    public string Encode() =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Wire("meta.k8s.io/v1", Revision, StartAfter)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Parses a token; a malformed one is a 400 as in kube-apiserver.</summary>
    public static ContinueToken Decode(string token)
    {
        try
        {
            var s = token.Replace('-', '+').Replace('_', '/');
            s = s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
            var wire = JsonSerializer.Deserialize<Wire>(Encoding.UTF8.GetString(Convert.FromBase64String(s)));
            if (wire is null || wire.v != "meta.k8s.io/v1" || wire.rv <= 0 || string.IsNullOrEmpty(wire.start))
                throw new FormatException("unrecognized token");
            return new ContinueToken(wire.rv, wire.start);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException or DecoderFallbackException)
        {
            throw ApiErrors.BadRequest("invalid continue token: " + e.Message);
        }
    }
}
