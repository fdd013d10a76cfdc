using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ClusterRegistry.Tests.EndToEnd.Security;

/// <summary>A certificate with its private key, and both as PEM.</summary>
public sealed record Issued(X509Certificate2 Certificate, string CertificatePem, string KeyPem);

/// <summary>Test PKI made with System.Security.Cryptography: CAs, client certificates (CN user, O groups), serving certificates.</summary>
public static class Pki
{
    public static Issued CreateCa(string commonName)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(1));
        return Wrap(cert, key);
    }

    /// <summary>A client certificate for <paramref name="subject"/> (e.g. "CN=alice,O=dev,O=ops") signed by <paramref name="ca"/>.</summary>
    public static Issued IssueClient(Issued ca, string subject, bool clientAuth = true, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        return Sign(ca, request, key, notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A serving certificate for 127.0.0.1 and localhost signed by <paramref name="ca"/>.</summary>
    public static Issued IssueServer(Issued ca)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=webhook"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        return Sign(ca, request, key, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static Issued Sign(Issued ca, CertificateRequest request, ECDsa key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(ca.Certificate, notBefore, notAfter, serial);
        return Wrap(signed.CopyWithPrivateKey(key), key);
    }

    private static Issued Wrap(X509Certificate2 cert, ECDsa key)
    {
        // A PKCS#12 round trip gives SslStream a private key it can use on every platform.
        var usable = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        return new Issued(usable, cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
}

/// <summary>Kubeconfig files for kubectl, one per user.</summary>
public static class Kubeconfigs
{
    /// <summary>
    /// Writes a kubeconfig for <paramref name="server"/> trusting its generated certificate, with a bearer
    /// <paramref name="token"/>, a client certificate, or no credentials at all.
    /// </summary>
    public static string Write(ServerProcess server, string directory, string userName, string? token = null, Issued? clientCert = null)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"kubeconfig-{userName}-{Guid.NewGuid():N}"[..40]);
        var ca = Pki.Base64(File.ReadAllText(Path.Combine(server.DataDir, "certs", "apiserver.crt")));
        var user = new StringBuilder();
        if (token is not null) user.Append("    token: ").Append(token).Append('\n');
        if (clientCert is not null)
        {
            user.Append("    client-certificate-data: ").Append(Pki.Base64(clientCert.CertificatePem)).Append('\n');
            user.Append("    client-key-data: ").Append(Pki.Base64(clientCert.KeyPem)).Append('\n');
        }
        var userBlock = user.Length == 0 ? "  user: {}\n" : "  user:\n" + user;
        var yaml = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: registry
              cluster:
                server: {server.Url}
                certificate-authority-data: {ca}
            users:
            - name: {userName}
            {userBlock}contexts:
            - name: registry
              context:
                cluster: registry
                user: {userName}
            current-context: registry

            """;
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A kubectl 1.32 runner with its own discovery cache for <paramref name="kubeconfig"/>.</summary>
    public static Kubectl Kubectl(string kubeconfig)
    {
        var cache = kubeconfig + "-cache";
        Directory.CreateDirectory(cache);
        return new Kubectl(Infrastructure.Kubectl.V132, kubeconfig, cache);
    }
}

/// <summary>
/// A real HTTP(S) webhook server (Kestrel) on a free loopback port, answering TokenReviews or SubjectAccessReviews
/// with <see cref="Handler"/> and recording every request body it received.
/// </summary>
public sealed class WebhookServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonObject> _received = new();

    private WebhookServer(WebApplication app, string url, Issued? ca)
    {
        _app = app;
        Url = url;
        Ca = ca;
    }

    /// <summary>The URL the webhook serves on (any path is accepted).</summary>
    public string Url { get; }

    /// <summary>The CA of the serving certificate (HTTPS only).</summary>
    public Issued? Ca { get; }

    /// <summary>Answers a review: (HTTP status, body). A null body sends <c>not json</c>.</summary>
    public Func<JsonObject, (int Status, JsonObject? Body)> Handler { get; set; } = review => (200, review);

    /// <summary>Every review received so far, in order.</summary>
    public IReadOnlyList<JsonObject> Received => _received.ToArray();

    public int ReceivedCount => _received.Count;

    public static async Task<WebhookServer> StartAsync(bool https)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        Issued? ca = null;
        Issued? serving = null;
        if (https)
        {
            ca = Pki.CreateCa("webhook-ca");
            serving = Pki.IssueServer(ca);
        }
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (serving is not null) listen.UseHttps(serving.Certificate);
        }));
        var app = builder.Build();
        WebhookServer? self = null;
        app.Run(async http =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync();
            JsonObject review;
            try
            {
                review = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["unparsable"] = text };
            }
            catch (JsonException)
            {
                review = new JsonObject { ["unparsable"] = text };
            }
            self!._received.Enqueue(review);
            var (status, body) = self.Handler((JsonObject)review.DeepClone());
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(body?.ToJsonString() ?? "not json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port;
        self = new WebhookServer(app, $"{(https ? "https" : "http")}://127.0.0.1:{port}/review", ca);
        return self;
    }

    /// <summary>Writes the kubeconfig-format webhook config file kube-apiserver reads (server, and the CA for HTTPS).</summary>
    public string WriteConfig(string path) => WriteConfig(path, Url, Ca?.CertificatePem);

    public static string WriteConfig(string path, string url, string? caPem)
    {
        var ca = caPem is null ? "" : $"\n    certificate-authority-data: {Pki.Base64(caPem)}";
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: webhook
              cluster:
                server: {url}{ca}
            users:
            - name: apiserver
              user: {"{}"}
            contexts:
            - name: webhook
              context:
                cluster: webhook
                user: apiserver
            current-context: webhook

            """);
        return path;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }
        await _app.DisposeAsync();
    }
}

/// <summary>Assertions and small helpers shared by the security tests.</summary>
public static class SecurityAssert
{
    public const string Group = "clusterregistry.k8s.io";
    public const string Collection = "/apis/clusterregistry.k8s.io/v1alpha1/clusters";
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public static string Item(string name) => Collection + "/" + name;

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 11)];

    public static string ClusterJson(string name, IDictionary<string, string>? labels = null)
    {
        var cluster = Api.NewCluster(name, labels);
        return cluster.ToJsonString();
    }

    public static StringContent Json(string text) => Api.Body(text);

    /// <summary>Asserts a Status failure with the code and reason; returns its message.</summary>
    public static async Task<JsonElement> FailureAsync(HttpResponseMessage response, HttpStatusCode code, string reason) =>
        await Api.AssertFailureAsync(response, code, reason);

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it is true or <paramref name="timeout"/> passes; fails with <paramref name="what"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Wait);
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException("timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    /// <summary>The sorted property names of a JSON object.</summary>
    public static string[] Keys(JsonNode? node) =>
        node is JsonObject o ? o.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray() : [];

    public static string[] Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(v => v!.GetValue<string>()).ToArray() : [];
}
