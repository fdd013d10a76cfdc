using ClusterRegistry.Tests.EndToEnd.Infrastructure;

namespace ClusterRegistry.Tests.EndToEnd.KubectlSuite;

/// <summary>The kubectl suite with kubectl 1.32 (/usr/bin/kubectl), against its own server.</summary>
public sealed class Kubectl132Tests(KubectlServerFixture fixture)
    : KubectlTestsBase(fixture, Kubectl.V132), IClassFixture<KubectlServerFixture>
{
    protected override bool HasSubresourceFlag => true;
}

/// <summary>
/// The kubectl suite with kubectl 1.20 (Debian's kubernetes-client), against its own server. kubectl 1.20 reads
/// the OpenAPI v2 document (protobuf) for client-side validation on create, apply, replace and edit, and has
/// no --subresource flag.
/// </summary>
public sealed class Kubectl120Tests(KubectlServerFixture fixture)
    : KubectlTestsBase(fixture, Kubectl.V120), IClassFixture<KubectlServerFixture>
{
    protected override bool HasSubresourceFlag => false;
}
