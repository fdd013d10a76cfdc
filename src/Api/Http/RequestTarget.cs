namespace ClusterRegistry.Api.Http;

/// <summary>Reading the raw request target (origin-form or absolute-form) as it arrived, before Kestrel's normalization.</summary>
public static class RequestTarget
{
    /// <summary>The path of a raw request target, without query or fragment; absolute-form targets lose scheme and authority.</summary>
    public static ReadOnlySpan<char> PathOf(string raw)
    {
        var span = raw.AsSpan();
        var scheme = span.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && span[0] != '/')
        {
            span = span[(scheme + 3)..];
            var slash = span.IndexOf('/');
            span = slash < 0 ? "/" : span[slash..];
        }
        var end = span.IndexOfAny('?', '#');
        return end < 0 ? span : span[..end];
    }

    /// <summary>A "." or ".." segment, in any mix of literal dots and <c>%2e</c>/<c>%2E</c>.</summary>
    public static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        var i = 0;
        while (i < segment.Length)
        {
            if (segment[i] == '.') i++;
            else if (segment[i] == '%' && i + 2 < segment.Length && segment[i + 1] == '2' && (segment[i + 2] | 0x20) == 'e') i += 3;
            else return false;
            if (++dots > 2) return false;
        }
        return dots > 0;
    }
}
