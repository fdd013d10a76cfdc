namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// One probe's outcome. <see cref="Reason"/> is the CamelCase reason the Ready condition carries when this outcome
/// decides it; <see cref="Fingerprint"/> is the serving certificate seen (null when no handshake got that far).
/// </summary>
public sealed record ProbeResult(bool Healthy, string Reason, string Message, string? Version, string? Fingerprint, bool IdentityMismatch)
{
    public static ProbeResult Failure(string reason, string message, string? fingerprint = null, bool mismatch = false) =>
        new(false, reason, message, null, fingerprint, mismatch);
}

/// <summary>The reasons the prober writes (Ready and IdentityMismatch conditions, metric labels).</summary>
public static class ProbeReasons
{
    public const string Ready = "EndpointReady";
    public const string Probing = "Probing";
    public const string NotReady = "EndpointNotReady";
    public const string Unreachable = "EndpointUnreachable";
    public const string Timeout = "ProbeTimeout";
    public const string CertificateNotTrusted = "CertificateNotTrusted";
    public const string IdentityMismatch = "IdentityMismatch";
    public const string Unresolvable = "AddressUnresolvable";
    public const string CertificateMatchesPin = "CertificateMatchesPin";
    public const string CertificateChanged = "CertificateChanged";
    public const string NotPinned = "NotPinned";
}
