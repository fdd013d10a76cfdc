using System.Net;
using ClusterRegistry.Application.Clusters.Queries.ExportKubeconfig;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Tests.UnitTests.Clusters;

namespace ClusterRegistry.Tests.UnitTests.Kubeconfig;

public sealed class KubeconfigBuilderTests
{
    [Theory]
    [InlineData("client-secret")]
    [InlineData("client_secret")]
    [InlineData("clientSecret")]
    [InlineData("refresh-token")]
    [InlineData("id-token")]
    [InlineData("access-token")]
    [InlineData("password")]
    [InlineData("client-key-data")]
    public void CredentialFilter_SecretLookingKeys_AreCredentials(string key) =>
        Assert.True(CredentialFilter.LooksLikeCredential(key, "x"));

    [Theory]
    [InlineData("client-id")]
    [InlineData("idp-issuer-url")]
    [InlineData("idp-certificate-authority-data")]
    [InlineData("extra-scopes")]
    public void CredentialFilter_PublicKeys_AreKept(string key) =>
        Assert.False(CredentialFilter.LooksLikeCredential(key, "x"));

    [Fact]
    public void CredentialFilter_PemPrivateKeyValue_IsACredentialUnderAnyKey() =>
        Assert.True(CredentialFilter.LooksLikeCredential("cert", "-----BEGIN EC PRIVATE KEY-----\nabc"));

    [Fact]
    public void TryAdd_UsesTypeAsPluginAndDropsCredentials_WithAWarning()
    {
        var cluster = new ClusterBuilder().WithName("prod").Build();
        cluster.Spec!.AuthInfo = new AuthInfo
        {
            Providers =
            [
                new AuthProviderConfig
                {
                    Name = "corp", Type = new AuthProviderType { Name = "oidc" },
                    Config = new() { ["client-id"] = "kubectl", ["client-secret"] = "s3cr3t" },
                },
                new AuthProviderConfig { Name = "backup", Type = new AuthProviderType { Name = "gcp" } },
            ],
        };
        var warnings = new List<string>();
        var builder = new KubeconfigBuilder(IPAddress.Loopback, warnings.Add);

        Assert.True(builder.TryAdd(cluster));

        var config = builder.Config;
        Assert.Equal(["prod", "prod/backup"], config.Users.Select(u => u.Name));
        Assert.Equal("oidc", config.Users[0].User.AuthProvider!.Name);
        Assert.Equal(new Dictionary<string, string> { ["client-id"] = "kubectl" }, config.Users[0].User.AuthProvider!.Config);
        Assert.Equal("gcp", config.Users[1].User.AuthProvider!.Name);
        Assert.Equal("prod", config.Contexts.Single().Context.User);
        Assert.Contains(warnings, w => w.Contains("client-secret") && !w.Contains("s3cr3t"));
    }

    [Fact]
    public void TryAdd_NoProviders_AnonymousUserNamedAfterTheCluster()
    {
        var builder = new KubeconfigBuilder(IPAddress.Loopback, _ => { });
        Assert.True(builder.TryAdd(new ClusterBuilder().WithName("dev").Build()));
        var user = Assert.Single(builder.Config.Users);
        Assert.Equal("dev", user.Name);
        Assert.Null(user.User.AuthProvider);
    }
}
