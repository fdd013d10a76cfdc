using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>The <c>--authorization-mode</c> chain and its webhook: <c>standalone</c> only (aggregated asks its host).</summary>
public sealed class AuthorizationFlags : IFlagGroup
{
    private readonly Option<string> _mode = new("--authorization-mode")
    {
        Description = "Comma-separated authorizers: AlwaysAllow, AlwaysDeny, Webhook. Default AlwaysAllow.",
        DefaultValueFactory = _ => "AlwaysAllow",
    };
    private readonly Option<bool> _alwaysAllow = new("--authorization-always-allow")
    {
        Description = "The original's flag: same as --authorization-mode AlwaysAllow.",
    };
    private readonly Option<bool> _webhookMode = new("--authorization-webhook")
    {
        Description = "The original's flag: same as --authorization-mode Webhook.",
    };
    private readonly Option<string?> _webhook = new("--authorization-webhook-config-file")
    {
        Description = "kubeconfig-format file of the SubjectAccessReview webhook.",
    };
    private readonly Option<string> _version = new("--authorization-webhook-version")
    {
        Description = "SubjectAccessReview version sent to the webhook: v1 or v1beta1 (the original's).",
        DefaultValueFactory = _ => "v1beta1",
    };
    private readonly Option<TimeSpan> _authorizedTtl = FlagText.Duration("--authorization-webhook-cache-authorized-ttl",
        "How long to cache allowed answers.", TimeSpan.FromMinutes(5));
    private readonly Option<TimeSpan> _unauthorizedTtl = FlagText.Duration("--authorization-webhook-cache-unauthorized-ttl",
        "How long to cache denied answers.", TimeSpan.FromSeconds(30));

    public IEnumerable<Option> Options => [_mode, _alwaysAllow, _webhookMode, _webhook, _version, _authorizedTtl, _unauthorizedTtl];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        var modes = FlagText.Split([parse.GetValue(_mode)!]);
        if (parse.GetValue(_alwaysAllow)) modes = ["AlwaysAllow"];
        if (parse.GetValue(_webhookMode)) modes = ["Webhook"];
        if (modes.Count == 0 || modes.Any(m => m is not ("AlwaysAllow" or "AlwaysDeny" or "Webhook")))
            errors.Add($"--authorization-mode must list AlwaysAllow, AlwaysDeny or Webhook (got \"{parse.GetValue(_mode)}\")");
        else if (modes.Contains("Webhook") != (parse.GetValue(_webhook) is not null))
            errors.Add("--authorization-mode Webhook and --authorization-webhook-config-file must be given together");
        if (parse.GetValue(_version) is not ("v1" or "v1beta1")) errors.Add("--authorization-webhook-version must be v1 or v1beta1");
        return options with
        {
            AuthorizationModes = modes,
            AuthorizationWebhookConfigFile = parse.GetValue(_webhook),
            AuthorizationWebhookVersion = parse.GetValue(_version)!,
            AuthorizedTtl = parse.GetValue(_authorizedTtl),
            UnauthorizedTtl = parse.GetValue(_unauthorizedTtl),
        };
    }
}
