using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Tests.UnitTests.Clusters;

public sealed class ClusterValidationTests
{
    [Fact]
    public void Validate_ValidCluster_NoErrors() => Assert.Empty(ClusterValidation.Validate(new ClusterBuilder().Build()));

    [Theory]
    [InlineData("Bad_Name")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("double..dot")]
    public void Validate_BadName_OneInvalidCauseOnMetadataName(string name)
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithName(name).Build());
        var error = Assert.Single(errors);
        Assert.Equal("metadata.name", error.Field);
        Assert.Equal("FieldValueInvalid", error.CauseReason);
        Assert.StartsWith($"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain", error.Message);
    }

    [Fact]
    public void Validate_NameTooLong_Invalid()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithName(new string('a', 254)).Build());
        Assert.Contains(errors, e => e.Field == "metadata.name" && e.Detail == "must be no more than 253 characters");
    }

    [Fact]
    public void Validate_MissingName_RequiredWithKubeWording()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithName("").Build());
        var error = Assert.Single(errors);
        Assert.Equal("metadata.name: Required value: name or generateName is required", error.ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("10.1.2.3/8", true)]
    [InlineData("::/0", true)]
    [InlineData("2001:db8::/32", true)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("not-a-cidr", false)]
    [InlineData("10.0.0.0", false)]
    public void Validate_ClientCidr_AcceptsOnlyCidrs(string cidr, bool valid)
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithEndpoint(cidr, "a.example.com").Build());
        Assert.Equal(valid, !errors.Any(e => e.Field == "spec.kubernetesApiEndpoints.serverEndpoints[1].clientCIDR"));
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("example.com:6443", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.0.0.1:443", true)]
    [InlineData("[2001:db8::1]:6443", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("https://example.com:6443", true)]
    [InlineData("example.com:0", false)]
    [InlineData("example.com:70000", false)]
    [InlineData("exa mple.com", false)]
    [InlineData("ftp://example.com", false)]
    public void Validate_ServerAddress_HostPortOrUrl(string address, bool valid)
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithEndpoint("10.0.0.0/8", address).Build());
        Assert.Equal(valid, !errors.Any(e => e.Field == "spec.kubernetesApiEndpoints.serverEndpoints[1].serverAddress"));
    }

    [Fact]
    public void Validate_EmptyServerAddress_Required()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithEndpoint("10.0.0.0/8", "").Build());
        Assert.Contains(errors, e => e.Type == FieldErrorType.Required && e.Field == "spec.kubernetesApiEndpoints.serverEndpoints[1].serverAddress");
    }

    [Fact]
    public void Validate_CaBundleWithCertificate_Valid()
    {
        using var key = ECDsa.Create();
        using var cert = new CertificateRequest("CN=ca", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithCaBundle(Encoding.ASCII.GetBytes(cert.ExportCertificatePem())).Build());
        Assert.Empty(errors);
    }

    [Fact]
    public void Validate_CaBundleGarbage_Invalid()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithCaBundle("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"u8.ToArray()).Build());
        Assert.Contains(errors, e => e.Field == "spec.kubernetesApiEndpoints.caBundle");
    }

    [Fact]
    public void Validate_DuplicateConditionTypeAndBadStatus_OneCauseEach()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithCondition("Ready", "True").WithCondition("Ready", "Maybe").Build());
        Assert.Contains(errors, e => e.Type == FieldErrorType.Duplicate && e.Field == "status.conditions[1].type");
        Assert.Contains(errors, e => e.Type == FieldErrorType.NotSupported && e.Field == "status.conditions[1].status");
    }

    [Fact]
    public void Validate_BadLabelValue_Invalid()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithLabel("env", "has space").Build());
        Assert.Contains(errors, e => e.Field == "metadata.labels");
    }

    [Fact]
    public void ValidateUpdate_AddFinalizerWhileDeleting_Forbidden()
    {
        var old = new ClusterBuilder().WithFinalizer("example.com/a").Build();
        old.Metadata.DeletionTimestamp = DateTimeOffset.UnixEpoch;
        var updated = ApiJson.Clone(old);
        updated.Metadata.Finalizers!.Add("example.com/b");
        var errors = ClusterValidation.ValidateUpdate(updated, old);
        Assert.Contains(errors, e => e.Type == FieldErrorType.Forbidden && e.Field == "metadata.finalizers");
    }

    [Fact]
    public void InvalidError_SeveralErrors_BracketedKubeMessage()
    {
        var errors = ClusterValidation.Validate(new ClusterBuilder().WithName("Bad_Name").WithEndpoint("x", "").Build());
        var e = ApiErrors.Invalid(ClusterResource.Info, "Bad_Name", errors);
        Assert.Equal(422, e.Code);
        Assert.StartsWith("Cluster.clusterregistry.k8s.io \"Bad_Name\" is invalid: [metadata.name: Invalid value: \"Bad_Name\"", e.Message);
        Assert.Equal(errors.Count, e.Details!.Causes!.Count);
    }
}
