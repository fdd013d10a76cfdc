using System.Text.Json.Nodes;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Auditing;

/// <summary>
/// Reads <c>--audit-policy-file</c>: an audit.k8s.io/v1 (or v1beta1) Policy in YAML or JSON. Everything the server
/// cannot honour is refused with the field's path, as kube-apiserver's validation names it, rather than ignored.
/// </summary>
public static class AuditPolicyFile
{
    /// <summary>The policy in <paramref name="path"/>; throws <see cref="InvalidOperationException"/> saying what is wrong.</summary>
    public static AuditPolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        return Parse(text);
    }

    public static AuditPolicy Parse(string text)
    {
        JsonNode? root;
        try
        {
            root = Http.Yaml.ToJson(text, ApiErrors.BadRequest);
        }
        catch (ApiStatusException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
        if (root is not JsonObject policy) throw Invalid("", "must be an audit.k8s.io/v1 Policy");
        var kind = Text(policy, "kind", "kind");
        if (kind != "Policy") throw Invalid("kind", $"must be Policy (got \"{kind}\")");
        var version = Text(policy, "apiVersion", "apiVersion");
        if (version is not ("audit.k8s.io/v1" or "audit.k8s.io/v1beta1")) throw Invalid("apiVersion", $"must be audit.k8s.io/v1 (got \"{version}\")");
        var rules = Array(policy, "rules", "rules").Select((node, i) => Rule(node, $"rules[{i}]")).ToList();
        if (rules.Count == 0) throw Invalid("rules", "must have at least one rule");
        return new AuditPolicy(rules, Stages(policy, "omitStages", "omitStages"));
    }

    private static AuditPolicyRule Rule(JsonNode? node, string at)
    {
        if (node is not JsonObject rule) throw Invalid(at, "must be an object");
        var levelText = Text(rule, "level", at + ".level");
        if (!Enum.TryParse<AuditLevel>(levelText, out var level) || !Enum.IsDefined(level) || levelText != level.ToString())
            throw Invalid(at + ".level", $"must be None, Metadata, Request or RequestResponse (got \"{levelText}\")");
        var resources = Array(rule, "resources", at + ".resources").Select((r, i) => GroupResources(r, $"{at}.resources[{i}]")).ToList();
        var namespaces = Strings(rule, "namespaces", at + ".namespaces");
        var urls = Strings(rule, "nonResourceURLs", at + ".nonResourceURLs");
        if (urls.Count > 0 && (resources.Count > 0 || namespaces.Count > 0))
            throw Invalid(at + ".nonResourceURLs", "rules cannot apply to both regular resources and non-resource URLs");
        if (urls.FirstOrDefault(u => u != "*" && !u.StartsWith('/')) is { } relative)
            throw Invalid(at + ".nonResourceURLs", $"non-resource URL \"{relative}\" must start with \"/\"");
        return new AuditPolicyRule(level, Strings(rule, "users", at + ".users"), Strings(rule, "userGroups", at + ".userGroups"),
            Strings(rule, "verbs", at + ".verbs"), resources, namespaces, urls, Stages(rule, "omitStages", at + ".omitStages"));
    }

    private static AuditGroupResources GroupResources(JsonNode? node, string at) => node is JsonObject gr
        ? new AuditGroupResources(gr["group"] is null ? "" : Text(gr, "group", at + ".group"), Strings(gr, "resources", at + ".resources"),
            Strings(gr, "resourceNames", at + ".resourceNames"))
        : throw Invalid(at, "must be an object");

    private static HashSet<string> Stages(JsonObject o, string field, string at)
    {
        var stages = Strings(o, field, at);
        if (stages.FirstOrDefault(s => !AuditStage.All.Contains(s)) is { } unknown)
            throw Invalid(at, $"unknown stage \"{unknown}\" (RequestReceived, ResponseStarted, ResponseComplete or Panic)");
        return stages.ToHashSet(StringComparer.Ordinal);
    }

    private static List<string> Strings(JsonObject o, string field, string at) =>
        Array(o, field, at)
            .Select((n, i) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Invalid($"{at}[{i}]", "must be a string"))
            .ToList();

    private static List<JsonNode?> Array(JsonObject o, string field, string at) => o[field] switch
    {
        null => [],
        JsonArray a => [.. a],
        _ => throw Invalid(at, "must be a list"),
    };

    private static string Text(JsonObject o, string field, string at) =>
        o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o[field] is null ? "" : throw Invalid(at, "must be a string");

    private static InvalidOperationException Invalid(string at, string message) =>
        new(at.Length > 0 ? $"{at}: {message}" : message);
}
