using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Infrastructure.HealthProbing;

namespace ClusterRegistry.Tests.UnitTests.HealthProbing;

/// <summary>Per-cluster overrides are bounded by the operator's flags: they can slow a cluster's probes, never add load.</summary>
public sealed class HealthProbeAnnotationsTests
{
    private static readonly HealthProbeOptions Flags = new() { Interval = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(10) };

    private static ProbeSettings For(params (string Key, string Value)[] annotations)
    {
        var cluster = new Cluster();
        cluster.Metadata.Annotations = annotations.ToDictionary(a => a.Key, a => a.Value);
        return HealthProbeAnnotations.SettingsFor(cluster, Flags);
    }

    [Fact]
    public void Period_BelowTheFlag_IsRaisedToTheFlag_AboveIsKept()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), For((HealthProbeAnnotations.PeriodSeconds, "1")).Interval);
        Assert.Equal(TimeSpan.FromSeconds(120), For((HealthProbeAnnotations.PeriodSeconds, "120")).Interval);
    }

    [Fact]
    public void Timeout_AboveTheFlag_IsCappedAtTheFlag_BelowIsKept()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), For((HealthProbeAnnotations.TimeoutSeconds, "3600")).Timeout);
        Assert.Equal(TimeSpan.FromSeconds(3), For((HealthProbeAnnotations.TimeoutSeconds, "3")).Timeout);
    }

    [Fact]
    public void InvalidValues_FallBackToTheFlags()
    {
        var settings = For((HealthProbeAnnotations.PeriodSeconds, "-5"), (HealthProbeAnnotations.TimeoutSeconds, "soon"));
        Assert.Equal(Flags.Interval, settings.Interval);
        Assert.Equal(Flags.Timeout, settings.Timeout);
    }
}
