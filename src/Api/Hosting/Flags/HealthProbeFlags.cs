using System.CommandLine;
using System.Net;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Infrastructure.HealthProbing;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>The <c>--health-probe-*</c> flags of both server commands (see docs/userguide.md, "Health probing").</summary>
public sealed class HealthProbeFlags : IFlagGroup
{
    private static readonly HealthProbeOptions Defaults = new();

    private readonly Option<string[]> _cidrs = new("--health-probe-allowed-cidrs")
    {
        Description = "Address ranges (comma-separated CIDRs) the health prober may connect to. A cluster is probed only when every address its endpoint resolves to lies in one; empty (default): nothing is probed.",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<TimeSpan> _interval = new("--health-probe-interval") { CustomParser = GoDuration.Parse, Description = "How often each cluster is probed.", DefaultValueFactory = _ => Defaults.Interval };
    private readonly Option<TimeSpan> _timeout = new("--health-probe-timeout") { CustomParser = GoDuration.Parse, Description = "Time limit of one probe (connect, TLS, /version, /readyz).", DefaultValueFactory = _ => Defaults.Timeout };
    private readonly Option<int> _failures = new("--health-probe-failure-threshold") { Description = "Consecutive failed probes before Ready turns False.", DefaultValueFactory = _ => Defaults.FailureThreshold };
    private readonly Option<int> _successes = new("--health-probe-success-threshold") { Description = "Consecutive successful probes before Ready turns True.", DefaultValueFactory = _ => Defaults.SuccessThreshold };
    private readonly Option<int> _inFlight = new("--health-probe-max-in-flight") { Description = "Probes running at once.", DefaultValueFactory = _ => Defaults.MaxInFlight };
    private readonly Option<TimeSpan> _heartbeat = new("--health-probe-heartbeat-interval") { CustomParser = GoDuration.Parse, Description = "An unchanged status is rewritten (lastHeartbeatTime) at most this often.", DefaultValueFactory = _ => Defaults.HeartbeatInterval };
    private readonly Option<TimeSpan> _lease = new("--health-probe-lease-duration") { CustomParser = GoDuration.Parse, Description = "Lease of the one replica that probes; another takes over this long after its holder dies.", DefaultValueFactory = _ => Defaults.LeaseDuration };

    public IEnumerable<Option> Options => [_cidrs, _interval, _timeout, _failures, _successes, _inFlight, _heartbeat, _lease];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        var networks = new List<IPNetwork>();
        foreach (var text in (parse.GetValue(_cidrs) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            // Host bits are masked, as Kubernetes' net.ParseCIDR does (10.1.2.3/8 is 10.0.0.0/8).
            if (!Cidr.TryParse(text, out var network))
            {
                errors.Add($"--health-probe-allowed-cidrs: \"{text}\" is not a CIDR such as 10.0.0.0/8 or fd00::/8");
                return options;
            }
            networks.Add(network);
        }
        var probing = new HealthProbeOptions
        {
            AllowedCidrs = networks,
            Interval = parse.GetValue(_interval),
            Timeout = parse.GetValue(_timeout),
            FailureThreshold = parse.GetValue(_failures),
            SuccessThreshold = parse.GetValue(_successes),
            MaxInFlight = parse.GetValue(_inFlight),
            HeartbeatInterval = parse.GetValue(_heartbeat),
            LeaseDuration = parse.GetValue(_lease),
        };
        foreach (var problem in probing.Problems()) errors.Add(problem.TrimEnd('.'));
        return options with { Infrastructure = options.Infrastructure with { HealthProbing = probing } };
    }

}
