namespace ClusterRegistry.Api.Http;

/// <summary>One media range of an Accept header with its parameters (any order), as kube-apiserver negotiates them.</summary>
public sealed record MediaRange(string Type, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Param(string name) => Parameters.TryGetValue(name, out var v) ? v : null;

    /// <summary>The <c>as</c> transform asked for (<c>Table</c>, <c>PartialObjectMetadata</c>…), or null.</summary>
    public string? As => Param("as");

    public bool IsJsonCompatible => Type is MediaTypes.Json or "application/*" or "*/*";
}

public static class AcceptHeader
{
    /// <summary>Parses an Accept header into ranges, in the client's order; empty means JSON.</summary>
    public static IReadOnlyList<MediaRange> Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return [new MediaRange(MediaTypes.Json, new Dictionary<string, string>())];
        var result = new List<MediaRange>();
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(';', StringSplitOptions.TrimEntries);
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in pieces.Skip(1))
            {
                var eq = p.IndexOf('=');
                if (eq > 0) parameters[p[..eq].Trim()] = p[(eq + 1)..].Trim().Trim('"');
            }
            result.Add(new MediaRange(pieces[0].ToLowerInvariant(), parameters));
        }
        return result;
    }

    /// <summary>The media type of a Content-Type header without its parameters (e.g. <c>; charset=utf-8</c>).</summary>
    public static string? ContentType(string? header) =>
        string.IsNullOrWhiteSpace(header) ? null : header.Split(';')[0].Trim().ToLowerInvariant();
}
