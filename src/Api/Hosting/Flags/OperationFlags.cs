using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>Request limits, watch bookmarks, logging and tracing.</summary>
public sealed class OperationFlags : IFlagGroup
{
    private readonly Option<int> _maxInflight = new("--max-requests-inflight")
    {
        Description = "Concurrent non-mutating requests before 429 (0: no limit).",
        DefaultValueFactory = _ => 400,
    };
    private readonly Option<int> _maxMutating = new("--max-mutating-requests-inflight")
    {
        Description = "Concurrent mutating requests before 429 (0: no limit).",
        DefaultValueFactory = _ => 200,
    };
    private readonly Option<TimeSpan> _requestTimeout =
        FlagText.Duration("--request-timeout", "Time limit of non-watch requests.", TimeSpan.FromSeconds(60));
    private readonly Option<TimeSpan> _bookmarks = FlagText.Duration("--watch-bookmark-interval",
        "How often an idle watch that allows bookmarks gets one.", TimeSpan.FromSeconds(30));
    private readonly Option<TimeSpan> _shutdownDelay = FlagText.Duration("--shutdown-delay-duration",
        "After SIGTERM, keep serving this long while /readyz fails, so load balancers take this replica out first.", TimeSpan.Zero);
    private readonly Option<int> _verbosity = new("--v", "-v")
    {
        Description = "Log verbosity, as kube-apiserver's -v: below 3 the log has starts, warnings, errors and requests slower than 1 s; "
            + "3 and above adds a line for every request.",
        DefaultValueFactory = _ => 0,
    };
    private readonly Option<Uri?> _tracing = new("--tracing-otlp-endpoint")
    {
        CustomParser = OtlpEndpoint,
        Description = "Send traces (a span per request, child spans for storage and webhook calls) to this OTLP/HTTP collector, "
            + "e.g. http://127.0.0.1:4318.",
    };

    public IEnumerable<Option> Options => [_bookmarks, _verbosity, _maxInflight, _maxMutating, _requestTimeout, _shutdownDelay, _tracing];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors) => options with
    {
        MaxRequestsInflight = parse.GetValue(_maxInflight),
        MaxMutatingRequestsInflight = parse.GetValue(_maxMutating),
        RequestTimeout = parse.GetValue(_requestTimeout),
        WatchBookmarkInterval = parse.GetValue(_bookmarks),
        Verbosity = parse.GetValue(_verbosity),
        ShutdownDelay = parse.GetValue(_shutdownDelay),
        TracingOtlpEndpoint = parse.GetValue(_tracing),
    };

    private static Uri? OtlpEndpoint(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
        result.AddError($"invalid --tracing-otlp-endpoint \"{text}\": use an http(s) URL such as http://127.0.0.1:4318");
        return null;
    }
}
