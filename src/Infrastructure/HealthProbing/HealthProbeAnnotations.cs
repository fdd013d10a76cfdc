using System.Globalization;
using ClusterRegistry.Domain.Clusters;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// Per-cluster annotations the prober reads (overrides of the flags, in whole seconds and counts as a Pod's probe
/// fields are) and the one it writes: the pinned serving certificate, which a user removes to re-pin.
/// </summary>
public static class HealthProbeAnnotations
{
    public const string Prefix = "health.clusterregistry.k8s.io/";
    public const string PeriodSeconds = Prefix + "probe-period-seconds";
    public const string TimeoutSeconds = Prefix + "probe-timeout-seconds";
    public const string FailureThreshold = Prefix + "failure-threshold";
    public const string SuccessThreshold = Prefix + "success-threshold";
    /// <summary>SHA-256 of the serving certificate (DER, lower-case hex) seen on the first successful probe.</summary>
    public const string PinnedCertificate = Prefix + "pinned-certificate-sha256";

    /// <summary>
    /// The settings for one cluster: the flags, overridden by its annotations where they hold a valid positive number.
    /// Anyone who may edit a cluster may set these, so they are bounded by the operator's flags: the period is at
    /// least <c>--health-probe-interval</c> (an annotation can slow its cluster's probes, never add load) and the
    /// timeout at most <c>--health-probe-timeout</c> (no cluster holds an in-flight slot longer than the operator allows).
    /// </summary>
    public static ProbeSettings SettingsFor(Cluster cluster, HealthProbeOptions options)
    {
        var a = cluster.Metadata.Annotations;
        return new ProbeSettings(
            Positive(a, PeriodSeconds) is { } period && TimeSpan.FromSeconds(period) > options.Interval ? TimeSpan.FromSeconds(period) : options.Interval,
            Positive(a, TimeoutSeconds) is { } timeout && TimeSpan.FromSeconds(timeout) < options.Timeout ? TimeSpan.FromSeconds(timeout) : options.Timeout,
            Positive(a, FailureThreshold) ?? options.FailureThreshold,
            Positive(a, SuccessThreshold) ?? options.SuccessThreshold);
    }

    public static string? Pinned(Cluster cluster) =>
        cluster.Metadata.Annotations is { } a && a.TryGetValue(PinnedCertificate, out var pin) && pin.Length > 0 ? pin.ToLowerInvariant() : null;

    private static int? Positive(Dictionary<string, string>? annotations, string key) =>
        annotations is not null && annotations.TryGetValue(key, out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}

/// <summary>How one cluster is probed.</summary>
public sealed record ProbeSettings(TimeSpan Interval, TimeSpan Timeout, int FailureThreshold, int SuccessThreshold);
