using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>Client certificates and anonymous requests: both server commands take these.</summary>
public sealed class AuthenticationFlags : IFlagGroup
{
    private readonly Option<string?> _clientCa = new("--client-ca-file")
    {
        Description = "PEM CA bundle; client certificates it signed authenticate as CN (user) and O (groups).",
    };
    private readonly Option<bool> _anonymous = new("--anonymous-auth")
    {
        Description = "Serve requests without credentials as system:anonymous (group system:unauthenticated). Off by default.",
    };

    public IEnumerable<Option> Options => [_clientCa, _anonymous];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors) =>
        options with { ClientCaFile = parse.GetValue(_clientCa), AnonymousAuth = parse.GetValue(_anonymous) };
}

/// <summary>Bearer tokens from a file or a TokenReview webhook: <c>standalone</c> only (aggregated asks its host).</summary>
public sealed class TokenFlags : IFlagGroup
{
    private readonly Option<string?> _tokenFile = new("--token-auth-file")
    {
        Description = "Static tokens, CSV: token,user,uid,\"group1,group2\". "
            + "Without it an admin token and kubeconfig are generated in the data directory.",
    };
    private readonly Option<string?> _webhook = new("--authentication-token-webhook-config-file")
    {
        Description = "kubeconfig-format file of a TokenReview (authentication.k8s.io/v1) webhook for bearer tokens.",
    };
    private readonly Option<TimeSpan> _webhookTtl = FlagText.Duration("--authentication-token-webhook-cache-ttl",
        "How long to cache token review answers.", TimeSpan.FromMinutes(2));

    public IEnumerable<Option> Options => [_tokenFile, _webhook, _webhookTtl];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors) => options with
    {
        TokenAuthFile = parse.GetValue(_tokenFile),
        TokenWebhookConfigFile = parse.GetValue(_webhook),
        TokenWebhookCacheTtl = parse.GetValue(_webhookTtl),
    };
}
