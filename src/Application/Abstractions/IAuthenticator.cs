using System.Security.Cryptography.X509Certificates;

namespace ClusterRegistry.Application.Abstractions;

/// <summary>The credentials a request presents, as the HTTP edge reads them for an <see cref="IAuthenticator"/>.</summary>
public interface IAuthenticationRequest
{
    /// <summary>The TLS client certificate, when the client sent one.</summary>
    X509Certificate2? ClientCertificate { get; }

    /// <summary>The <c>Authorization</c> header, trimmed; empty when absent.</summary>
    string Authorization { get; }

    /// <summary>The names of the request's headers (a front proxy names the user in headers).</summary>
    IEnumerable<string> HeaderNames { get; }

    /// <summary>The non-empty values of header <paramref name="name"/> (case-insensitive), in order.</summary>
    IReadOnlyList<string> HeaderValues(string name);

    /// <summary>Removes header <paramref name="name"/>, so nothing later mistakes a front proxy's header for the client's own.</summary>
    void RemoveHeader(string name);
}

/// <summary>
/// Decides who sent a request, as kube-apiserver's authenticator.Request. Implementations must fail closed:
/// credentials that are presented but cannot be verified are a null answer (401), never a fall-through to anonymous.
/// The answer's groups include <c>system:authenticated</c> for every authenticated user.
/// </summary>
public interface IAuthenticator
{
    /// <summary>The user for <paramref name="request"/>, or null when the request must be answered 401.</summary>
    ValueTask<UserInfo?> AuthenticateAsync(IAuthenticationRequest request, CancellationToken ct);
}
