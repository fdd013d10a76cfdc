using System.Text;

namespace ClusterRegistry.Api.Http;

/// <summary>
/// The request URI as it may be written to logs: path and query, with the values of credential-bearing query
/// parameters (tokens, passwords, signatures) replaced, so a client that put a secret in the URL does not leave it
/// in the audit or request log.
/// </summary>
public static class RequestUri
{
    public const string Redacted = "[REDACTED]";

    private static readonly string[] CredentialParameters =
        ["access_token", "token", "id_token", "refresh_token", "client_secret", "password", "passwd", "secret", "api_key", "apikey", "sig", "signature"];

    public static string ForLog(HttpRequest request) => request.Path.Value + Redact(request.QueryString.Value);

    /// <summary>The query string with credential values replaced; names are matched case-insensitively, before and after percent-decoding.</summary>
    public static string Redact(string? query)
    {
        if (string.IsNullOrEmpty(query)) return "";
        var result = new StringBuilder(query.Length);
        var first = true;
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            result.Append(first ? '?' : '&');
            first = false;
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            if (eq >= 0 && IsCredential(name)) result.Append(name).Append('=').Append(Redacted);
            else result.Append(pair);
        }
        return result.ToString();
    }

    private static bool IsCredential(string name)
    {
        var decoded = Uri.UnescapeDataString(name.Replace('+', ' ')).Trim();
        return CredentialParameters.Any(p => decoded.Equals(p, StringComparison.OrdinalIgnoreCase));
    }
}
