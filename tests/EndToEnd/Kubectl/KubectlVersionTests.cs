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
[Requires(Prerequisite.Kubectl120)]
public sealed class Kubectl120Tests(KubectlServerFixture fixture)
    : KubectlTestsBase(fixture, Kubectl.V120), IClassFixture<KubectlServerFixture>
{
    protected override bool HasSubresourceFlag => false;
}

/// <summary>A kubectl server fixture whose server stores in PostgreSQL (a container of its own).</summary>
public sealed class PostgresKubectlServerFixture() : KubectlServerFixture(new Backends.PostgresContainer());

/// <summary>The kubectl 1.32 suite with <c>--storage-backend postgres</c>.</summary>
[Requires(Prerequisite.Docker)]
public sealed class Kubectl132PostgresTests(PostgresKubectlServerFixture fixture)
    : KubectlTestsBase(fixture, Kubectl.V132), IClassFixture<PostgresKubectlServerFixture>
{
    protected override bool HasSubresourceFlag => true;
}

/// <summary>A kubectl server fixture whose server stores in etcd (a container of its own).</summary>
public sealed class EtcdKubectlServerFixture() : KubectlServerFixture(new Backends.EtcdContainer());

/// <summary>The kubectl 1.32 suite with <c>--storage-backend etcd3</c>.</summary>
[Requires(Prerequisite.Docker)]
public sealed class Kubectl132EtcdTests(EtcdKubectlServerFixture fixture)
    : KubectlTestsBase(fixture, Kubectl.V132), IClassFixture<EtcdKubectlServerFixture>
{
    protected override bool HasSubresourceFlag => true;
}
