using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>The flags of the two server commands, by group: those both take, and those only <c>standalone</c> takes.</summary>
public sealed class ServerFlags
{
    private readonly RemovedFlags _removed = new();
    private readonly TokenFlags _tokens = new();
    private readonly AuthorizationFlags _authorization = new();
    private readonly AuditFlags _audit = new();
    private readonly StorageFlags _storage = new();
    private readonly ServingFlags _serving = new();
    private readonly AuthenticationFlags _authentication = new();
    private readonly OperationFlags _operation = new();
    private readonly HealthProbeFlags _healthProbe = new();

    /// <summary>What aggregated leaves of the standalone-only settings (its host authenticates and authorizes).</summary>
    private static readonly ServerOptions AggregatedBase = new()
    {
        AuthorizationModes = [],
        AuthorizationWebhookVersion = "v1",
        TokenWebhookCacheTtl = default,
        AuthorizedTtl = default,
        UnauthorizedTtl = default,
    };

    /// <summary>The groups in the order their complaints are reported.</summary>
    private IEnumerable<IFlagGroup> Groups(bool standalone) => standalone
        ? [_removed, _tokens, _authorization, _audit, _storage, _serving, _authentication, _operation, _healthProbe]
        : [_removed, _audit, _storage, _serving, _authentication, _operation, _healthProbe];

    /// <summary>The options both server commands take.</summary>
    public IEnumerable<Option> Shared =>
        new IFlagGroup[] { _serving, _storage, _operation, _authentication, _audit, _healthProbe, _removed }.SelectMany(g => g.Options);

    /// <summary>The options only <c>standalone</c> takes.</summary>
    public IEnumerable<Option> StandaloneOnly => _tokens.Options.Concat(_authorization.Options);

    /// <summary>The settings of <c>standalone</c> (<paramref name="standalone"/>) or <c>aggregated</c>, and what is wrong with them.</summary>
    public (ServerOptions Options, IReadOnlyList<string> Errors) Read(ParseResult parse, bool standalone)
    {
        var errors = new List<string>();
        var options = standalone ? new ServerOptions() : AggregatedBase;
        foreach (var group in Groups(standalone)) options = group.Read(parse, options, errors);
        return (options, errors);
    }
}
