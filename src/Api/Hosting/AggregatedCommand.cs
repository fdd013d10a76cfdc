using System.CommandLine;

namespace ClusterRegistry.Api.Hosting;

/// <summary>
/// <c>clusterregistry aggregated</c>: the server behind a host kube-apiserver's aggregation layer. It shares the
/// serving, storage, audit and limit flags with <c>standalone</c>; authentication and authorization are delegated
/// to the host with k8s.io/apiserver's flag names and defaults (the original's <c>aggregated</c> flags).
/// </summary>
public static class AggregatedCommand
{
    public static Command Create(IEnumerable<Option> shared, Func<ParseResult, ServerOptions?> readServerOptions)
    {
        var authnKubeconfig = new Option<string?>("--authentication-kubeconfig")
        {
            Description = "kubeconfig of the host kube-apiserver for TokenReviews and its extension-apiserver-authentication ConfigMap "
                + "(default: in-cluster credentials).",
        };
        var authzKubeconfig = new Option<string?>("--authorization-kubeconfig")
        {
            Description = "kubeconfig of the host kube-apiserver for SubjectAccessReviews (default: in-cluster credentials).",
        };
        var tokenTtl = new Option<TimeSpan>("--authentication-token-webhook-cache-ttl")
        {
            CustomParser = GoDuration.Parse,
            Description = "How long to cache the host's TokenReview answers.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        };
        var proxyCa = new Option<string?>("--requestheader-client-ca-file")
        {
            Description = "CA of the front proxy's client certificate (default: the host's requestheader-client-ca-file).",
        };
        var allowedNames = new Option<string[]?>("--requestheader-allowed-names")
        {
            Description = "Common names the front proxy's certificate may have, comma separated; empty: any the CA signed (default: the host's).",
            AllowMultipleArgumentsPerToken = true,
        };
        var userHeaders = new Option<string[]?>("--requestheader-username-headers")
        {
            Description = "Headers naming the user, first non-empty wins (default: the host's, or X-Remote-User).",
            AllowMultipleArgumentsPerToken = true,
        };
        var groupHeaders = new Option<string[]?>("--requestheader-group-headers")
        {
            Description = "Headers naming the groups (default: the host's, or X-Remote-Group).",
            AllowMultipleArgumentsPerToken = true,
        };
        var extraPrefixes = new Option<string[]?>("--requestheader-extra-headers-prefix")
        {
            Description = "Prefixes of headers carrying user extras (default: the host's, or X-Remote-Extra-).",
            AllowMultipleArgumentsPerToken = true,
        };
        var skipLookup = new Option<bool>("--authentication-skip-lookup")
        {
            Description = "Do not read the host's extension-apiserver-authentication ConfigMap; use the flags only.",
        };
        var tolerate = new Option<bool>("--authentication-tolerate-lookup-failure")
        {
            Description = "Start even when the host's extension-apiserver-authentication ConfigMap cannot be read.",
        };
        var authorizedTtl = new Option<TimeSpan>("--authorization-webhook-cache-authorized-ttl")
        {
            CustomParser = GoDuration.Parse,
            Description = "How long to cache the host's allowed SubjectAccessReview answers.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        };
        var unauthorizedTtl = new Option<TimeSpan>("--authorization-webhook-cache-unauthorized-ttl")
        {
            CustomParser = GoDuration.Parse,
            Description = "How long to cache the host's denied answers.",
            DefaultValueFactory = _ => TimeSpan.FromSeconds(10),
        };
        var allowPaths = new Option<string[]>("--authorization-always-allow-paths")
        {
            Description = "Non-resource paths allowed without asking the host (a trailing * allows a prefix), comma separated.",
            DefaultValueFactory = _ => ["/healthz", "/readyz", "/livez"],
            AllowMultipleArgumentsPerToken = true,
        };

        var command = new Command("aggregated", "Run the registry behind a host kube-apiserver's aggregation layer "
            + "(APIService v1alpha1.clusterregistry.k8s.io), delegating authentication and authorization to the host.");
        foreach (var o in shared) command.Options.Add(o);
        foreach (var o in new Option[]
                 {
                     authnKubeconfig, authzKubeconfig, tokenTtl, proxyCa, allowedNames, userHeaders, groupHeaders, extraPrefixes,
                     skipLookup, tolerate, authorizedTtl, unauthorizedTtl, allowPaths,
                 })
            command.Options.Add(o);

        command.SetAction(async (parse, ct) =>
        {
            if (readServerOptions(parse) is not { } options) return 2;
            if (parse.GetValue(skipLookup) && parse.GetValue(proxyCa) is null && options.ClientCaFile is null)
                Console.Error.WriteLine("warning: --authentication-skip-lookup without --requestheader-client-ca-file or --client-ca-file: "
                    + "only bearer tokens will authenticate.");
            var aggregated = new AggregatedOptions
            {
                AuthenticationKubeconfig = parse.GetValue(authnKubeconfig),
                AuthorizationKubeconfig = parse.GetValue(authzKubeconfig),
                TokenCacheTtl = parse.GetValue(tokenTtl),
                RequestHeaderClientCaFile = parse.GetValue(proxyCa),
                RequestHeaderAllowedNames = List(parse, allowedNames),
                RequestHeaderUsernameHeaders = List(parse, userHeaders),
                RequestHeaderGroupHeaders = List(parse, groupHeaders),
                RequestHeaderExtraHeadersPrefix = List(parse, extraPrefixes),
                SkipLookup = parse.GetValue(skipLookup),
                TolerateLookupFailure = parse.GetValue(tolerate),
                AuthorizedTtl = parse.GetValue(authorizedTtl),
                UnauthorizedTtl = parse.GetValue(unauthorizedTtl),
                AlwaysAllowPaths = Split(parse.GetValue(allowPaths)) ?? [],
            };
            return await ServerHost.RunAsync(options with { Aggregated = aggregated }, ct);
        });
        return command;
    }

    // Given on the command line (even empty, as in --requestheader-allowed-names=""): the flag's list; else null.
    private static List<string>? List(ParseResult parse, Option<string[]?> option) =>
        parse.GetResult(option) is { Implicit: false } ? Split(parse.GetValue(option)) ?? [] : null;

    private static List<string>? Split(string[]? values) =>
        values?.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
