using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>
/// Flags of the original that are accepted by name but refused with a reason, never silently ignored (hidden from help).
/// </summary>
public sealed class RemovedFlags : IFlagGroup
{
    private static readonly Dictionary<string, string> Refused = new()
    {
        ["--basic-auth-file"] = "basic authentication was removed from Kubernetes (1.19) because it sends reusable passwords with every request; "
            + "use --token-auth-file, --client-ca-file or --authentication-token-webhook-config-file",
        ["--insecure-port"] = "the server never serves plain HTTP",
    };

    private readonly List<(Option<string?> Option, string Why)> _flags = Refused
        .Select(r => (new Option<string?>(r.Key) { Hidden = true, Arity = ArgumentArity.ZeroOrOne }, r.Value)).ToList();

    public IEnumerable<Option> Options => _flags.Select(f => (Option)f.Option);

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        foreach (var (option, why) in _flags)
            if (parse.GetResult(option) is { Implicit: false }) errors.Add($"{option.Name} is not supported: {why}");
        return options;
    }
}
