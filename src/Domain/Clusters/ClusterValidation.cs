using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Validation;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>Pure validation of a Cluster; every failure is one field error with its JSON path.</summary>
public static class ClusterValidation
{
    private static readonly string[] ConditionStatuses = ["True", "False", "Unknown"];

    public static List<FieldError> Validate(Cluster cluster)
    {
        var errs = ObjectMetaValidation.Validate(cluster.Metadata);
        ValidateSpec(cluster.Spec, errs);
        ValidateStatus(cluster.Status, errs);
        return errs;
    }

    public static List<FieldError> ValidateUpdate(Cluster updated, Cluster old)
    {
        var errs = Validate(updated);
        errs.AddRange(ObjectMetaValidation.ValidateUpdate(updated.Metadata, old.Metadata));
        return errs;
    }

    public static void ValidateSpec(ClusterSpec? spec, List<FieldError> errs)
    {
        var endpoints = spec?.KubernetesApiEndpoints;
        if (endpoints is not null)
        {
            const string basePath = "spec.kubernetesApiEndpoints";
            for (var i = 0; i < (endpoints.ServerEndpoints?.Count ?? 0); i++)
            {
                var ep = endpoints.ServerEndpoints![i];
                var path = $"{basePath}.serverEndpoints[{i}]";
                if (ep is null)
                {
                    errs.Add(FieldError.Required(path, "must be an object"));
                    continue;
                }
                if (!string.IsNullOrEmpty(ep.ClientCidr) && !IsCidr(ep.ClientCidr))
                    errs.Add(FieldError.Invalid(path + ".clientCIDR", ep.ClientCidr,
                        "must be a valid CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)"));
                if (string.IsNullOrEmpty(ep.ServerAddress))
                    errs.Add(FieldError.Required(path + ".serverAddress", ""));
                else if (ServerAddressError(ep.ServerAddress) is { } why)
                    errs.Add(FieldError.Invalid(path + ".serverAddress", ep.ServerAddress, why));
            }
            if (endpoints.CaBundle is { Length: > 0 } ca && !HasCertificate(ca))
                errs.Add(FieldError.Invalid(basePath + ".caBundle", "<bytes>",
                    "must contain at least one PEM-encoded CERTIFICATE block that parses"));
        }

        var providers = spec?.AuthInfo?.Providers;
        for (var i = 0; i < (providers?.Count ?? 0); i++)
        {
            if (providers![i] is null)
                errs.Add(FieldError.Required($"spec.authInfo.providers[{i}]", "must be an object"));
        }
    }

    public static void ValidateStatus(ClusterStatus? status, List<FieldError> errs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var conditions = status?.Conditions;
        for (var i = 0; i < (conditions?.Count ?? 0); i++)
        {
            var c = conditions![i];
            var path = $"status.conditions[{i}]";
            if (c is null)
            {
                errs.Add(FieldError.Required(path, "must be an object"));
                continue;
            }
            if (string.IsNullOrEmpty(c.Type)) errs.Add(FieldError.Required(path + ".type", ""));
            else if (!seen.Add(c.Type)) errs.Add(FieldError.Duplicate(path + ".type", c.Type));
            if (c.Status is null || !ConditionStatuses.Contains(c.Status))
                errs.Add(c.Status is null
                    ? FieldError.Required(path + ".status", "")
                    : FieldError.NotSupported(path + ".status", c.Status, ConditionStatuses));
        }
    }

    private static bool IsCidr(string value) => IPNetwork.TryParse(value, out _) || Cidr.TryParse(value, out _);

    /// <summary>Null when <paramref name="value"/> is a host, IP, host:port, [IPv6]:port or https URL.</summary>
    private static string? ServerAddressError(string value)
    {
        if (value.Contains("://"))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != "https" && uri.Scheme != "http")
                || string.IsNullOrEmpty(uri.Host))
                return "must be a host, host:port or an https URL";
            return null;
        }
        if (IPAddress.TryParse(value, out _) && !value.Contains(':')) return null;
        if (value.StartsWith('[') || value.Count(ch => ch == ':') > 1)
        {
            // An IPv6 address, bare or bracketed with a port.
            if (IPAddress.TryParse(value, out _)) return null;
            var close = value.IndexOf(']');
            if (value.StartsWith('[') && close > 0 && IPAddress.TryParse(value[1..close], out _)
                && (close == value.Length - 1 || (value[close + 1] == ':' && IsPort(value[(close + 2)..]))))
                return null;
            return "must be a host, host:port or an https URL";
        }
        var colon = value.LastIndexOf(':');
        var host = colon >= 0 ? value[..colon] : value;
        if (colon >= 0 && !IsPort(value[(colon + 1)..])) return "port must be a number between 1 and 65535";
        if (IPAddress.TryParse(host, out _)) return null;
        if (NameValidation.IsDns1123Subdomain(host.ToLowerInvariant()).Count > 0)
            return "must be a valid IP address or DNS name, optionally with a port";
        return null;
    }

    private static bool IsPort(string s) =>
        int.TryParse(s, System.Globalization.NumberStyles.None, null, out var p) && p is >= 1 and <= 65535;

    private static bool HasCertificate(byte[] pem)
    {
        try
        {
            var text = System.Text.Encoding.ASCII.GetString(pem);
            if (!text.Contains("-----BEGIN CERTIFICATE-----")) return false;
            var collection = new X509Certificate2Collection();
            collection.ImportFromPem(text);
            return collection.Count > 0;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}
