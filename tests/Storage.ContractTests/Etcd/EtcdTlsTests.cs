using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Support;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// etcd serving client TLS with client-certificate authentication (kube-apiserver's usual setup): the adapter connects
/// with the CA, client certificate and key files, and fails fast when it lacks them.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _certs = new();
    private IContainer? _etcd;
    private string _endpoint = "";

    private string CertPath(string name) => Path.Combine(_certs.Path, name);

    public async Task InitializeAsync()
    {
        TestCertificates.Write(_certs.Path);
        _etcd = await EtcdFixture.StartWithClientCertificatesAsync(_certs.Path);
        _endpoint = EtcdFixture.ClientUrl(_etcd, "https");
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null) await _etcd.DisposeAsync();
        _certs.Dispose();
    }

    private EtcdStorage Store(bool clientCertificate = true, bool ca = true) => new(new EtcdOptions
    {
        Servers = [_endpoint],
        Prefix = EtcdFixture.NewPrefix(),
        CaFile = ca ? CertPath("ca.crt") : null,
        CertFile = clientCertificate ? CertPath("client.crt") : null,
        KeyFile = clientCertificate ? CertPath("client.key") : null,
        RequestTimeout = TimeSpan.FromSeconds(5),
    });

    [Fact]
    public async Task MutualTls_ReadsWritesAndWatches()
    {
        await using var store = Store();
        var start = await store.CurrentRevisionAsync(default);
        await using var reader = new WatchReader(store, "clusters/", start);
        reader.BeginNext();

        var created = await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);
        var updated = await store.UpdateAsync("clusters/a", Text.Bytes("a2"), created, default);

        Assert.Equal(("a2", updated), (Text.Of((await store.GetAsync("clusters/a", default))!.Value), updated));
        Assert.Equal([created, updated], (await reader.ReadAsync(2)).Select(e => e.Revision).ToList());
    }

    [Fact]
    public async Task WithoutClientCertificate_FailsFastAsUnreachable()
    {
        await using var store = Store(clientCertificate: false);
        var ex = await Assert.ThrowsAsync<StorageException>(async () => await store.GetAsync("clusters/a", default)).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(StorageErrorCode.Unreachable, ex.Code);
    }

    [Fact]
    public async Task WithoutTheCa_RejectsTheServerCertificate()
    {
        await using var store = Store(ca: false);
        var ex = await Assert.ThrowsAsync<StorageException>(async () => await store.GetAsync("clusters/a", default)).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(StorageErrorCode.Unreachable, ex.Code);
    }
}

/// <summary>A throwaway CA with a server certificate (localhost, 127.0.0.1) and a client certificate, as PEM files.</summary>
internal static class TestCertificates
{
    /// <param name="clients">More client certificates to issue, each as <c>{name}.crt</c>/<c>{name}.key</c> with CN=name
    /// (with client-certificate authentication, etcd takes the CN as the user name).</param>
    public static void Write(string directory, params string[] clients)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=clusterregistry-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        File.WriteAllText(Path.Combine(directory, "ca.crt"), ca.ExportCertificatePem());

        Issue(directory, "server", ca, now, 1);
        Issue(directory, "client", ca, now, 2);
        for (var i = 0; i < clients.Length; i++) Issue(directory, clients[i], ca, now, (byte)(3 + i));
    }

    private static void Issue(string directory, string name, X509Certificate2 ca, DateTimeOffset now, byte serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client auth
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var cert = request.Create(ca, now.AddHours(-1), now.AddDays(1), [serial]);
        File.WriteAllText(Path.Combine(directory, $"{name}.crt"), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, $"{name}.key"), key.ExportPkcs8PrivateKeyPem());
    }
}
