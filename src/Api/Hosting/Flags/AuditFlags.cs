using System.CommandLine;
using ClusterRegistry.Api.Auditing;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>The audit log: where it goes, how it rotates, and how much of each request it records.</summary>
public sealed class AuditFlags : IFlagGroup
{
    private readonly Option<string?> _path = new("--audit-log-path") { Description = "Write audit.k8s.io/v1 events as JSON lines to this file." };
    private readonly Option<string?> _policy = new("--audit-policy-file")
    {
        Description = "audit.k8s.io/v1 Policy (YAML or JSON): per user, group, verb, resource or non-resource URL, the first matching rule's "
            + "level and omitted stages; requests no rule matches are not audited. Replaces --audit-log-level.",
    };
    private readonly Option<string> _level = new("--audit-log-level")
    {
        Description = "None, Metadata (default), Request or RequestResponse: how much of each request to record (without --audit-policy-file).",
        DefaultValueFactory = _ => "Metadata",
    };
    private readonly Option<int> _maxSize = new("--audit-log-maxsize")
    {
        Description = "Rotate the audit log at this size in megabytes.",
        DefaultValueFactory = _ => 100,
    };
    private readonly Option<int> _maxBackup = new("--audit-log-maxbackup")
    {
        Description = "Rotated audit logs to keep.",
        DefaultValueFactory = _ => 10,
    };
    private readonly Option<int> _maxAge = new("--audit-log-maxage")
    {
        Description = "Days to keep rotated audit logs (0: no limit).",
        DefaultValueFactory = _ => 0,
    };

    public IEnumerable<Option> Options => [_path, _policy, _level, _maxSize, _maxBackup, _maxAge];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        if (!Enum.TryParse<AuditLevel>(parse.GetValue(_level), out var level))
        {
            errors.Add("--audit-log-level must be None, Metadata, Request or RequestResponse");
            return options;
        }
        var policyFile = parse.GetValue(_policy);
        if (policyFile is not null && parse.GetResult(_level) is { Implicit: false })
            errors.Add("--audit-policy-file and --audit-log-level cannot be given together: the policy sets the levels");
        if (policyFile is not null && parse.GetValue(_path) is null)
            errors.Add("--audit-policy-file needs --audit-log-path (the log is the only audit backend)");
        if (parse.GetValue(_path) is not { } path || errors.Count > 0) return options;
        var policy = AuditPolicy.Uniform(level);
        try
        {
            if (policyFile is not null) policy = AuditPolicyFile.Load(policyFile);
        }
        catch (InvalidOperationException e)
        {
            errors.Add($"--audit-policy-file {policyFile}: {e.Message}");
            return options;
        }
        return options with { Audit = new AuditOptions(path, policy, parse.GetValue(_maxSize), parse.GetValue(_maxBackup), parse.GetValue(_maxAge)) };
    }
}
