using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Infrastructure.Delegated;

namespace ClusterRegistry.Api.Security.Delegated;

/// <summary>Who may speak for users through request headers (the host's aggregator), and which headers it uses.</summary>
public sealed record RequestHeaderSettings(
    X509Certificate2Collection Ca,
    IReadOnlyList<string> AllowedNames,
    IReadOnlyList<string> UsernameHeaders,
    IReadOnlyList<string> GroupHeaders,
    IReadOnlyList<string> ExtraHeaderPrefixes)
{
    public static readonly IReadOnlyList<string> DefaultUsernameHeaders = ["X-Remote-User"];
    public static readonly IReadOnlyList<string> DefaultGroupHeaders = ["X-Remote-Group"];
    public static readonly IReadOnlyList<string> DefaultExtraHeaderPrefixes = ["X-Remote-Extra-"];
}

/// <summary>
/// The certificate authorities the aggregated server trusts for client certificates and for the front proxy: each
/// from its flag when given, else from the host's extension-apiserver-authentication ConfigMap.
/// </summary>
public sealed record DelegatedAuthenticationSettings(X509Certificate2Collection? ClientCa, RequestHeaderSettings? RequestHeader)
{
    /// <summary>Combines the flags with the ConfigMap (null when the lookup was skipped or failed and tolerated).</summary>
    public static DelegatedAuthenticationSettings From(string? clientCaFile, AggregatedOptions flags, AuthenticationConfigMap? configMap)
    {
        var clientCa = clientCaFile is not null ? Bundle(File.ReadAllText(clientCaFile), "--client-ca-file " + clientCaFile)
            : configMap?.ClientCaPem is { } pem ? Bundle(pem, "client-ca-file of the host's ConfigMap")
            : null;
        RequestHeaderSettings? requestHeader = null;
        if (flags.RequestHeaderClientCaFile is { } caFile)
        {
            requestHeader = new RequestHeaderSettings(Bundle(File.ReadAllText(caFile), "--requestheader-client-ca-file " + caFile),
                flags.RequestHeaderAllowedNames ?? [], flags.RequestHeaderUsernameHeaders ?? RequestHeaderSettings.DefaultUsernameHeaders,
                flags.RequestHeaderGroupHeaders ?? RequestHeaderSettings.DefaultGroupHeaders,
                flags.RequestHeaderExtraHeadersPrefix ?? RequestHeaderSettings.DefaultExtraHeaderPrefixes);
        }
        else if (configMap?.RequestHeaderCaPem is { } proxyCa)
        {
            // The host's own values, unless a flag overrides one of them.
            requestHeader = new RequestHeaderSettings(Bundle(proxyCa, "requestheader-client-ca-file of the host's ConfigMap"),
                flags.RequestHeaderAllowedNames ?? configMap.AllowedNames,
                flags.RequestHeaderUsernameHeaders ?? NonEmpty(configMap.UsernameHeaders, RequestHeaderSettings.DefaultUsernameHeaders),
                flags.RequestHeaderGroupHeaders ?? NonEmpty(configMap.GroupHeaders, RequestHeaderSettings.DefaultGroupHeaders),
                flags.RequestHeaderExtraHeadersPrefix ?? NonEmpty(configMap.ExtraHeaderPrefixes, RequestHeaderSettings.DefaultExtraHeaderPrefixes));
        }
        return new DelegatedAuthenticationSettings(clientCa, requestHeader);
    }

    /// <summary>A short description for the log: which authenticators are on.</summary>
    public string Describe() =>
        $"client certificates: {(ClientCa is { Count: > 0 } ca ? string.Join(", ", ca.Select(c => c.Subject)) : "off")}; " +
        $"front proxy: {(RequestHeader is { } rh ? $"CA {string.Join(", ", rh.Ca.Select(c => c.Subject))}, allowed names [{string.Join(", ", rh.AllowedNames)}]" : "off")}";

    /// <summary>True when <paramref name="other"/> trusts the same certificates and headers.</summary>
    public bool SameAs(DelegatedAuthenticationSettings other) =>
        Thumbprints(ClientCa) == Thumbprints(other.ClientCa)
        && (RequestHeader is null) == (other.RequestHeader is null)
        && (RequestHeader is null || (Thumbprints(RequestHeader.Ca) == Thumbprints(other.RequestHeader!.Ca)
            && RequestHeader.AllowedNames.SequenceEqual(other.RequestHeader.AllowedNames)
            && RequestHeader.UsernameHeaders.SequenceEqual(other.RequestHeader.UsernameHeaders)
            && RequestHeader.GroupHeaders.SequenceEqual(other.RequestHeader.GroupHeaders)
            && RequestHeader.ExtraHeaderPrefixes.SequenceEqual(other.RequestHeader.ExtraHeaderPrefixes)));

    private static string Thumbprints(X509Certificate2Collection? ca) => ca is null ? "" : string.Join(",", ca.Select(c => c.Thumbprint));

    private static IReadOnlyList<string> NonEmpty(IReadOnlyList<string> values, IReadOnlyList<string> fallback) => values.Count > 0 ? values : fallback;

    private static X509Certificate2Collection Bundle(string pem, string source)
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPem(pem);
        if (ca.Count == 0) throw new InvalidOperationException($"{source} holds no certificate");
        return ca;
    }
}
