namespace ClusterRegistry.Client.Informer;

/// <summary>What a <see cref="ClusterInformer"/> watches and how it paces itself.</summary>
public sealed class ClusterInformerOptions
{
    /// <summary>Only clusters matching this label selector are cached (null: all).</summary>
    public string? LabelSelector { get; init; }

    /// <summary>Only clusters matching this field selector are cached (null: all).</summary>
    public string? FieldSelector { get; init; }

    /// <summary>
    /// How often every cached cluster is handed to the update handlers again (old and new the same object), so a
    /// controller re-reconciles what an earlier failure left behind. Null (the default): never.
    /// </summary>
    public TimeSpan? ResyncPeriod { get; init; }

    /// <summary>The server-side timeout asked for each watch; the informer then watches again from where it was.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The first wait after a failed list or watch; it doubles per failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between retries.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told about every failed list or watch and every handler that threw (the informer carries on).</summary>
    public Action<Exception>? OnError { get; init; }
}
