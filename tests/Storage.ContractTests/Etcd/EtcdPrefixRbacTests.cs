using System.Security.Cryptography.X509Certificates;
using System.Text;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Storage.Etcd;
using ClusterRegistry.Tests.StorageContractTests.Support;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Net.Client;

namespace ClusterRegistry.Tests.StorageContractTests.Etcd;

/// <summary>
/// etcd with authentication on and the server's user (client certificate CN=registry) granted only its key prefix, as
/// an operator sharing one etcd between tenants sets it up: everything the store does, the watch cache's progress
/// watch included, must stay inside that prefix.
/// </summary>
[Requires(Prerequisite.Docker)]
public sealed class EtcdPrefixRbacTests : IAsyncLifetime
{
    private readonly TempDirectory _certs = new();
    private readonly string _prefix = EtcdFixture.NewPrefix();
    private IContainer? _etcd;
    private string _endpoint = "";

    private string CertPath(string name) => Path.Combine(_certs.Path, name);

    public async Task InitializeAsync()
    {
        TestCertificates.Write(_certs.Path, "root", "registry");
        _etcd = await EtcdFixture.StartWithClientCertificatesAsync(_certs.Path);
        _endpoint = EtcdFixture.ClientUrl(_etcd, "https");
        await GrantOnlyThePrefixAsync();
    }

    /// <summary>Users root and registry (no passwords: the certificate's CN is the user), registry's role covering the prefix only, auth on.</summary>
    private async Task GrantOnlyThePrefixAsync()
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(CertPath("root.crt"), CertPath("root.key"))];
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // a throwaway CA of this test's own
        using var channel = GrpcChannel.ForAddress(_endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        var auth = new Auth.AuthClient(channel);
        var root = _prefix.TrimEnd('/') + "/";
        var end = root[..^1] + (char)(root[^1] + 1);
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Options = new Authpb.UserAddOptions { NoPassword = true } });
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
        await auth.RoleAddAsync(new AuthRoleAddRequest { Name = "registry" });
        await auth.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = "registry",
            Perm = new Authpb.Permission
            {
                PermType = Authpb.Permission.Types.Type.Readwrite,
                Key = ByteString.CopyFrom(root, Encoding.UTF8),
                RangeEnd = ByteString.CopyFrom(end, Encoding.UTF8),
            },
        });
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "registry", Options = new Authpb.UserAddOptions { NoPassword = true } });
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "registry", Role = "registry" });
        await auth.AuthEnableAsync(new AuthEnableRequest());
    }

    public async Task DisposeAsync()
    {
        if (_etcd is not null) await _etcd.DisposeAsync();
        _certs.Dispose();
    }

    private EtcdStorage Store(string prefix) => new(new EtcdOptions
    {
        Servers = [_endpoint],
        Prefix = prefix,
        CaFile = CertPath("ca.crt"),
        CertFile = CertPath("registry.crt"),
        KeyFile = CertPath("registry.key"),
        RequestTimeout = TimeSpan.FromSeconds(5),
    });

    [Fact]
    public async Task PrefixOnlyRole_WritesReadsAndProgressWatchWork()
    {
        await using var store = Store(_prefix);
        var start = await store.CurrentRevisionAsync(default);
        await using var progress = new WatchReader(store, "clusters/", start, withProgress: true);
        progress.BeginNext();

        var created = await store.CreateAsync("clusters/a", Text.Bytes("a1"), default);
        var updated = await store.UpdateAsync("clusters/a", Text.Bytes("a2"), created, default);
        // A write elsewhere under the prefix reaches the progress watch as progress.
        var elsewhere = await store.CreateAsync("other/b", Text.Bytes("b1"), default);

        Assert.Equal(("a2", updated), (Text.Of((await store.GetAsync("clusters/a", default))!.Value), updated));
        var events = await progress.ReadAsync(3);
        Assert.Equal(
            [(StorageEventType.Added, created), (StorageEventType.Modified, updated), (StorageEventType.Progress, elsewhere)],
            events.Select(e => (e.Type, e.Revision)).ToList());
    }

    [Fact]
    public async Task OutsideThePrefix_PermissionDenied()
    {
        // The role really is scoped: the same user on another prefix is refused (so the test above proves the scope).
        await using var store = Store(EtcdFixture.NewPrefix());
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () => await store.CreateAsync("clusters/a", Text.Bytes("a1"), default));
        Assert.Contains("permission denied", ex.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
