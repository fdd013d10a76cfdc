namespace ClusterRegistry.Application.Abstractions;

/// <summary>An authenticated user, as kube-apiserver's user.Info.</summary>
public sealed record UserInfo(string Name, string Uid, IReadOnlyList<string> Groups, IReadOnlyDictionary<string, IReadOnlyList<string>>? Extra = null)
{
    public static readonly UserInfo Anonymous = new("system:anonymous", "", ["system:unauthenticated"]);
}

/// <summary>
/// Per-request state that the HTTP edge fills and the pipeline reads: who is calling, and the warnings to
/// return as <c>Warning</c> headers. Scoped to one request.
/// </summary>
public interface IRequestContext
{
    /// <summary>The authenticated user; <see cref="UserInfo.Anonymous"/> until authentication ran.</summary>
    UserInfo User { get; }

    /// <summary>Warnings collected while handling the request, in order, without duplicates.</summary>
    IReadOnlyList<string> Warnings { get; }

    /// <summary>Adds a warning to be returned to the client (code 299).</summary>
    void AddWarning(string warning);
}

/// <summary>The default request context; the HTTP layer sets <see cref="User"/>.</summary>
public sealed class RequestContext : IRequestContext
{
    private readonly List<string> _warnings = [];

    public UserInfo User { get; set; } = UserInfo.Anonymous;

    public IReadOnlyList<string> Warnings => _warnings;

    public void AddWarning(string warning)
    {
        if (!_warnings.Contains(warning)) _warnings.Add(warning);
    }
}
