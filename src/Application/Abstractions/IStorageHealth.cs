namespace ClusterRegistry.Application.Abstractions;

/// <summary>
/// An optional capability of an <see cref="IObjectStorage"/>: a readiness check that looks deeper than
/// <see cref="IObjectStorage.CurrentRevisionAsync"/>, which a backend may answer from memory (the embedded store does).
/// <c>/readyz</c> uses it when the backend offers it.
/// </summary>
public interface IStorageHealth
{
    /// <summary>
    /// Null when the store can serve reads and writes; otherwise one line naming the cause (e.g. a corrupt or
    /// read-only file), without secrets, for <c>/readyz/&lt;backend&gt;</c>.
    /// </summary>
    ValueTask<string?> CheckHealthAsync(CancellationToken ct);
}
