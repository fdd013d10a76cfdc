namespace ClusterRegistry.Samples.KubeconfigSync;

/// <summary>The command line: where to write, which clusters, and how to reach the registry.</summary>
public sealed record SyncOptions(string Output, string? Selector, string? Kubeconfig, string? Context)
{
    private const string Usage = "usage: kubeconfig-sync --output FILE [--selector LABELS] [--kubeconfig FILE] [--context NAME]";

    /// <summary>The options, or null (with the reason on <paramref name="error"/>) for a bad command line.</summary>
    public static SyncOptions? Parse(string[] args, TextWriter error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is not ("--output" or "--selector" or "--kubeconfig" or "--context") || i + 1 >= args.Length)
            {
                error.WriteLine($"unexpected argument '{args[i]}'\n{Usage}");
                return null;
            }
            values[args[i]] = args[++i];
        }
        if (!values.TryGetValue("--output", out var output))
        {
            error.WriteLine(Usage);
            return null;
        }
        return new SyncOptions(Path.GetFullPath(output), values.GetValueOrDefault("--selector"),
            values.GetValueOrDefault("--kubeconfig"), values.GetValueOrDefault("--context"));
    }
}
