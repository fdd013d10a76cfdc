using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.Tls;

/// <summary>The serving certificate: SANs of the generated one, TLS versions, and reloading a given one from disk.</summary>
public sealed class TlsTests
{
    private static async Task<X509Certificate2> HandshakeAsync(int port, SslProtocols protocols = SslProtocols.None)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        X509Certificate2? seen = null;
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            seen = cert is null ? null : new X509Certificate2(cert);
            return true;
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols });
        return seen!;
    }

    private static void WritePair(string dir, string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Write to temporary names and move, as certificate rotation tools do, so the server never reads half a file.
        File.WriteAllText(Path.Combine(dir, "tls.key.tmp"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(dir, "tls.crt.tmp"), cert.ExportCertificatePem());
        File.Move(Path.Combine(dir, "tls.key.tmp"), Path.Combine(dir, "tls.key"), overwrite: true);
        File.Move(Path.Combine(dir, "tls.crt.tmp"), Path.Combine(dir, "tls.crt"), overwrite: true);
    }

    [Fact]
    public async Task GeneratedCertificate_HasLoopbackLocalhostAndAdvertiseAddressNames()
    {
        await using var server = await ServerProcess.StartAsync(null, null, "--advertise-address", "registry.example.com");
        var cert = await HandshakeAsync(server.Port);
        var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", names.EnumerateDnsNames());
        Assert.Contains("registry.example.com", names.EnumerateDnsNames());
        Assert.Contains(System.Net.IPAddress.Loopback, names.EnumerateIPAddresses());
    }

    [Fact]
    public async Task Tls11_IsRefused()
    {
        await using var server = await ServerProcess.StartAsync();
#pragma warning disable SYSLIB0039 // TLS 1.1 is requested on purpose: the server must refuse it.
        var attempt = () => HandshakeAsync(server.Port, SslProtocols.Tls11);
#pragma warning restore SYSLIB0039
        await Assert.ThrowsAnyAsync<Exception>(attempt);
        var modern = await HandshakeAsync(server.Port, SslProtocols.Tls12);
        Assert.NotNull(modern);
    }

    [Fact]
    public async Task GivenCertificateFiles_ChangedOnDisk_ServedWithoutRestart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cr-tls-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            WritePair(dir, "first");
            await using var server = await ServerProcess.StartAsync(null, null,
                "--tls-cert-file", Path.Combine(dir, "tls.crt"), "--tls-private-key-file", Path.Combine(dir, "tls.key"));
            Assert.Equal("CN=first", (await HandshakeAsync(server.Port)).Subject);

            WritePair(dir, "second");
            var subject = "";
            for (var i = 0; i < 60 && subject != "CN=second"; i++)
            {
                await Task.Delay(500);
                subject = (await HandshakeAsync(server.Port)).Subject;
            }
            Assert.Equal("CN=second", subject);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
