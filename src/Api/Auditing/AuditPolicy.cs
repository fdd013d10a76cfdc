using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Auditing;

/// <summary>The stages of a request an event can be written at (audit.k8s.io/v1 Stage).</summary>
public static class AuditStage
{
    public const string RequestReceived = "RequestReceived";
    public const string ResponseStarted = "ResponseStarted";
    public const string ResponseComplete = "ResponseComplete";
    public const string Panic = "Panic";

    public static readonly IReadOnlySet<string> All =
        new HashSet<string>(StringComparer.Ordinal) { RequestReceived, ResponseStarted, ResponseComplete, Panic };
}

/// <summary>A group's resources in a policy rule (audit.k8s.io/v1 GroupResources); "" is the core group.</summary>
public sealed record AuditGroupResources(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames);

/// <summary>One rule of an audit policy (audit.k8s.io/v1 PolicyRule); an empty list matches everything.</summary>
public sealed record AuditPolicyRule(
    AuditLevel Level,
    IReadOnlyList<string> Users,
    IReadOnlyList<string> UserGroups,
    IReadOnlyList<string> Verbs,
    IReadOnlyList<AuditGroupResources> Resources,
    IReadOnlyList<string> Namespaces,
    IReadOnlyList<string> NonResourceUrls,
    IReadOnlySet<string> OmitStages);

/// <summary>What to record of one request: its level and the stages not to write.</summary>
public sealed record AuditDecision(AuditLevel Level, IReadOnlySet<string> OmitStages)
{
    public bool Records(string stage) => Level > AuditLevel.None && !OmitStages.Contains(stage);
}

/// <summary>
/// An audit policy, evaluated as kube-apiserver's policy checker (k8s.io/apiserver/pkg/audit/policy/checker.go):
/// the first rule that matches the request's user, groups, verb and resource (or non-resource URL) decides the level,
/// and the stages it omits are added to the policy's; a request no rule matches is not audited.
/// </summary>
public sealed class AuditPolicy(IReadOnlyList<AuditPolicyRule> rules, IReadOnlySet<string> omitStages)
{
    private static readonly IReadOnlySet<string> NoStages = new HashSet<string>();

    private readonly AuditDecision _none = new(AuditLevel.None, omitStages);

    /// <summary>Every request at <paramref name="level"/> (<c>--audit-log-level</c> without a policy file).</summary>
    public static AuditPolicy Uniform(AuditLevel level) => new([new AuditPolicyRule(level, [], [], [], [], [], [], NoStages)], NoStages);

    /// <summary>The decision for a request by <paramref name="user"/> (null: not authenticated) on <paramref name="path"/>.</summary>
    public AuditDecision Decide(UserInfo? user, RequestInfo info, string path)
    {
        foreach (var rule in rules)
        {
            if (!Matches(rule, user, info, path)) continue;
            var omitted = rule.OmitStages.Count == 0 ? omitStages : omitStages.Union(rule.OmitStages, StringComparer.Ordinal).ToHashSet();
            return new AuditDecision(rule.Level, omitted);
        }
        return _none;
    }

    private static bool Matches(AuditPolicyRule rule, UserInfo? user, RequestInfo info, string path)
    {
        if (rule.Users.Count > 0 && (user is null || !rule.Users.Contains(user.Name))) return false;
        if (rule.UserGroups.Count > 0 && (user is null || !user.Groups.Any(rule.UserGroups.Contains))) return false;
        if (rule.Verbs.Count > 0 && !rule.Verbs.Contains(info.Verb)) return false;
        if (rule.Namespaces.Count > 0 || rule.Resources.Count > 0) return MatchesResource(rule, info);
        if (rule.NonResourceUrls.Count > 0) return !info.IsResourceRequest && rule.NonResourceUrls.Any(spec => PathMatches(path, spec));
        return true;
    }

    private static bool MatchesResource(AuditPolicyRule rule, RequestInfo info)
    {
        if (!info.IsResourceRequest) return false;
        // The served resource is cluster-scoped: its namespace is "".
        if (rule.Namespaces.Count > 0 && !rule.Namespaces.Contains("")) return false;
        if (rule.Resources.Count == 0) return true;
        var combined = info.Subresource.Length > 0 ? info.Resource + "/" + info.Subresource : info.Resource;
        foreach (var gr in rule.Resources.Where(gr => gr.Group == info.Group))
        {
            if (gr.Resources.Count == 0) return true;
            if (gr.ResourceNames.Count > 0 && !gr.ResourceNames.Contains(info.Name)) continue;
            foreach (var resource in gr.Resources)
            {
                if (resource == combined || resource == "*") return true;
                if (info.Subresource.Length > 0 && resource.StartsWith("*/", StringComparison.Ordinal) && info.Subresource == resource[2..])
                    return true;
                if (resource.EndsWith("/*", StringComparison.Ordinal) && info.Resource == resource[..^2]) return true;
            }
        }
        return false;
    }

    private static bool PathMatches(string path, string spec) =>
        spec == "*" || spec == path || (spec.EndsWith('*') && path.StartsWith(spec.TrimEnd('*'), StringComparison.Ordinal));
}
