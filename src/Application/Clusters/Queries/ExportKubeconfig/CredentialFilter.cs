namespace ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;

/// <summary>
/// Decides which auth provider config entries look like credentials. The API says authInfo holds public
/// information only, but nothing stops a user from storing an OIDC client secret or a refresh token there; the
/// export must never hand one out, so anything that could be one is left out. The test is deliberately broad (a
/// dropped public key such as gcp's <c>token-key</c> costs a manual edit; a leaked secret cannot be taken back).
/// </summary>
public static class CredentialFilter
{
    // Matched against the key lower-cased without '-', '_', '.' and spaces, so client-secret, client_secret,
    // clientSecret and refresh-token, id-token, access-token, password, client-key(-data) are all caught.
    private static readonly string[] Fragments =
        ["secret", "token", "password", "passwd", "passphrase", "credential", "privatekey", "clientkey", "apikey", "bearer", "cookie", "session"];

    public static bool LooksLikeCredential(string key, string? value)
    {
        var normalized = new string(key.Where(c => c is not ('-' or '_' or '.' or ' ')).Select(char.ToLowerInvariant).ToArray());
        if (Fragments.Any(f => normalized.Contains(f, StringComparison.Ordinal))) return true;
        // A PEM private key is a credential under any key name.
        return value is not null && value.Contains("PRIVATE KEY", StringComparison.Ordinal);
    }
}
