using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Api.Security;

/// <summary>An HTTP request's credentials, for the <see cref="IAuthenticator"/> port.</summary>
public sealed class HttpAuthenticationRequest(HttpContext http) : IAuthenticationRequest
{
    public X509Certificate2? ClientCertificate => http.Connection.ClientCertificate;

    public string Authorization => http.Request.Headers.Authorization.ToString().Trim();

    public IEnumerable<string> HeaderNames => http.Request.Headers.Keys;

    public IReadOnlyList<string> HeaderValues(string name) =>
        http.Request.Headers[name].Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();

    public void RemoveHeader(string name) => http.Request.Headers.Remove(name);
}
