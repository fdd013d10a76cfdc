using System.Net;
using System.Security.Cryptography.X509Certificates;
using ClusterRegistry.Crinit.Manifests;
using ClusterRegistry.Crinit.Pki;

namespace ClusterRegistry.Tests.Crinit;

public sealed class CredentialsTests
{
    private static readonly Names Names = new("reg", "clusterregistry");
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly Endpoint Lb = new([IPAddress.Parse("203.0.113.9")], ["reg.example.com"], null);

    [Fact]
    public void ServingCertificate_NamesTheEndpoint_AndTheServiceDnsNames_AndChainsToTheCa()
    {
        using var credentials = Credentials.Converge(Names, Lb, false, ExistingCredentials.None, Now);
        using var server = X509Certificate2.CreateFromPem(credentials.Server.CertificatePem, credentials.Server.KeyPem);
        Assert.True(server.HasPrivateKey);
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal([IPAddress.Parse("203.0.113.9")], san.EnumerateIPAddresses());
        // The aggregator verifies the server as <service>.<namespace>.svc.
        Assert.Equal(["reg.example.com", "reg", "reg.clusterregistry", "reg.clusterregistry.svc", "reg.clusterregistry.svc.cluster.local"], san.EnumerateDnsNames());
        Assert.Equal("1.3.6.1.5.5.7.3.1", server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.True(credentials.Ca.Signed(credentials.Server.CertificatePem, Now));
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", credentials.Server.KeyPem);
        Assert.Equal("CN=reg", credentials.Ca.Certificate.Subject);
        Assert.True(credentials.Ca.Certificate.NotAfter > Now.AddYears(9).UtcDateTime);
    }

    [Fact]
    public void AdminCertificate_IsAClientCertificate_ForAdmin_InSystemMasters()
    {
        using var credentials = Credentials.Converge(Names, Lb, false, ExistingCredentials.None, Now);
        using var admin = X509Certificate2.CreateFromPem(credentials.Admin!.CertificatePem);
        Assert.Equal("admin", admin.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Contains("O=system:masters", admin.Subject);
        Assert.Equal("1.3.6.1.5.5.7.3.2", admin.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.True(credentials.Ca.Signed(credentials.Admin!.CertificatePem, Now));
    }

    [Fact]
    public void WithoutAKubeconfigEntry_NoAdminCertificateIsIssued()
    {
        using var credentials = Credentials.Converge(Names, Endpoint.None, false, ExistingCredentials.None, Now, adminCertificate: false);
        Assert.Null(credentials.Admin);
        Assert.Equal(["CA", "serving certificate"], credentials.Reissued);
    }

    [Fact]
    public void Token_IsAStaticTokenFileLine_ForAdmin_InSystemMasters()
    {
        using var credentials = Credentials.Converge(Names, Lb, true, ExistingCredentials.None, Now);
        var fields = credentials.TokenCsv!.TrimEnd('\n').Split(',', 4);
        Assert.True(fields[0].Length >= 40, fields[0]);
        Assert.Equal("admin", fields[1]);
        Assert.True(Guid.TryParse(fields[2], out _));
        Assert.Equal("\"system:masters\"", fields[3]);
        Assert.Equal(fields[0], credentials.Token);
        using var none = Credentials.Converge(Names, Lb, false, ExistingCredentials.None, Now);
        Assert.Null(none.TokenCsv);
    }

    [Fact]
    public void ARerun_KeepsEverythingStillGood()
    {
        using var first = Credentials.Converge(Names, Lb, true, ExistingCredentials.None, Now);
        using var second = Credentials.Converge(Names, Lb, true, Existing(first), Now.AddDays(1));
        Assert.Empty(second.Reissued);
        Assert.Equal(first.Ca.CertificatePem, second.Ca.CertificatePem);
        Assert.Equal(first.Server, second.Server);
        Assert.Equal(first.Admin, second.Admin);
        Assert.Equal(first.TokenCsv, second.TokenCsv);
    }

    [Fact]
    public void ARerun_WithANewAddress_ReissuesOnlyTheServingCertificate_WithTheSameCa()
    {
        using var first = Credentials.Converge(Names, Lb, false, ExistingCredentials.None, Now);
        var moved = new Endpoint([IPAddress.Parse("198.51.100.4")], [], 31000);
        using var second = Credentials.Converge(Names, moved, false, Existing(first), Now);
        Assert.Equal(["serving certificate"], second.Reissued);
        Assert.Equal(first.Admin, second.Admin);
        Assert.True(Credentials.Covers(second.Server.CertificatePem, moved.Addresses, Names.ServiceDnsNames));
        Assert.True(first.Ca.Signed(second.Server.CertificatePem, Now));
    }

    [Fact]
    public void ARerun_ReissuesLeavesCloseToExpiry_AndEverythingWhenTheCaIsGone()
    {
        using var first = Credentials.Converge(Names, Lb, false, ExistingCredentials.None, Now);
        using var late = Credentials.Converge(Names, Lb, false, Existing(first), Now.AddDays(340));
        Assert.Equal(["serving certificate", "admin client certificate"], late.Reissued);

        using var lost = Credentials.Converge(Names, Lb, false, Existing(first) with { CaKeyPem = null }, Now);
        Assert.Equal(["CA", "serving certificate", "admin client certificate"], lost.Reissued);
        Assert.False(lost.Ca.Signed(first.Admin!.CertificatePem, Now));
    }

    [Fact]
    public void ACaWhoseKeyDoesNotMatch_IsNotUsed()
    {
        using var a = CertificateAuthority.Create("a", Now);
        using var b = CertificateAuthority.Create("b", Now);
        Assert.Null(CertificateAuthority.Load(a.CertificatePem, b.KeyPem));
        Assert.NotNull(CertificateAuthority.Load(a.CertificatePem, a.KeyPem));
        var leaf = a.IssueClient("x", [], Now);
        Assert.Null(CertificateAuthority.Load(leaf.CertificatePem, leaf.KeyPem));
    }

    private static ExistingCredentials Existing(Credentials c) => new(
        c.Ca.CertificatePem, c.Ca.KeyPem, c.Server.CertificatePem, c.Server.KeyPem, c.TokenCsv, c.Admin?.CertificatePem, c.Admin?.KeyPem);
}
