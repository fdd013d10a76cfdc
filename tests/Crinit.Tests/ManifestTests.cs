using System.Net;
using System.Text;
using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Manifests;
using ClusterRegistry.Crinit.Pki;
using k8s.Models;

namespace ClusterRegistry.Tests.Crinit;

public sealed class ManifestTests
{
    private static readonly Names Names = new("reg", "clusterregistry");
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static IReadOnlyList<k8s.IKubernetesObject<V1ObjectMeta>> Build(InitOptions options, Endpoint? endpoint = null)
    {
        using var credentials = Credentials.Converge(Names, endpoint ?? Endpoint.None, options.EnableTokenAuth, ExistingCredentials.None, Now);
        return ManifestBuilder.Build(Names, options, credentials, endpoint ?? Endpoint.None);
    }

    [Fact]
    public void Standalone_HasTheOriginalsObjects_InApplyOrder_AllLabelled()
    {
        var objects = Build(Options.Init(Mode.Standalone));
        Assert.Equal(
            ["v1/Namespace clusterregistry", "v1/Service clusterregistry/reg", "v1/Secret clusterregistry/reg-apiserver-ca",
             "v1/Secret clusterregistry/reg-apiserver-credentials", "v1/PersistentVolumeClaim clusterregistry/reg-etcd-claim",
             "apps/v1/Deployment clusterregistry/reg-apiserver"],
            objects.Select(Id));
        Assert.All(objects, o => Assert.Equal("clusterregistry", o.Metadata.Labels["app"]));
        Assert.All(objects, o => Assert.Equal("clusterregistry/reg", o.Metadata.Annotations["clusterregistry.k8s.io/install"]));
    }

    [Fact]
    public void Aggregated_AddsServiceAccount_Bindings_AndApiServiceV1_Last()
    {
        var objects = Build(Options.Init(Mode.Aggregated, serviceType: "NodePort"));
        Assert.Equal(
            ["v1/Namespace clusterregistry", "v1/Service clusterregistry/reg", "v1/Secret clusterregistry/reg-apiserver-ca",
             "v1/Secret clusterregistry/reg-apiserver-credentials", "v1/PersistentVolumeClaim clusterregistry/reg-etcd-claim",
             "v1/ServiceAccount clusterregistry/clusterregistry-k8s-io-apiserver",
             "rbac.authorization.k8s.io/v1/ClusterRoleBinding clusterregistry.k8s.io:apiserver-auth-delegator",
             "rbac.authorization.k8s.io/v1/RoleBinding kube-system/clusterregistry.k8s.io:extension-apiserver-authentication-reader",
             "apps/v1/Deployment clusterregistry/reg-apiserver", "apiregistration.k8s.io/v1/APIService v1alpha1.clusterregistry.k8s.io"],
            objects.Select(Id));

        // The cluster-wide objects have fixed names: the annotation tells whose they are.
        Assert.All(objects, o => Assert.Equal("clusterregistry/reg", o.Metadata.Annotations["clusterregistry.k8s.io/install"]));
        var delegator = objects.OfType<V1ClusterRoleBinding>().Single();
        Assert.Equal("system:auth-delegator", delegator.RoleRef.Name);
        var reader = objects.OfType<V1RoleBinding>().Single();
        Assert.Equal(("Role", "extension-apiserver-authentication-reader"), (reader.RoleRef.Kind, reader.RoleRef.Name));
        foreach (var subject in new[] { delegator.Subjects.Single(), reader.Subjects.Single() })
            Assert.Equal(("ServiceAccount", "clusterregistry-k8s-io-apiserver", "clusterregistry"), (subject.Kind, subject.Name, subject.NamespaceProperty));

        var api = objects.OfType<V1APIService>().Single();
        var ca = Encoding.ASCII.GetString(objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "reg-apiserver-credentials").Data["ca.crt"]);
        Assert.Equal(ca, Encoding.ASCII.GetString(api.Spec.CaBundle));
        Assert.Equal(("clusterregistry.k8s.io", "v1alpha1", "clusterregistry", "reg", 443), (api.Spec.Group, api.Spec.Version, api.Spec.Service.NamespaceProperty, api.Spec.Service.Name, api.Spec.Service.Port));
        Assert.Null(api.Spec.InsecureSkipTLSVerify);

        var pod = objects.OfType<V1Deployment>().Single().Spec.Template.Spec;
        Assert.Equal("clusterregistry-k8s-io-apiserver", pod.ServiceAccountName);
        Assert.True(pod.AutomountServiceAccountToken);
        Assert.Equal(["/app/clusterregistry", "aggregated"], pod.Containers[0].Command);
    }

    [Fact]
    public void Service_Exposes443_ToTheNamedContainerPort_WithTheRequestedNodePort()
    {
        var service = ManifestBuilder.Service(Names, Options.Init(Mode.Standalone, serviceType: "NodePort") with { NodePort = 31234 });
        var port = service.Spec.Ports.Single();
        Assert.Equal(("NodePort", 443, "https", 31234), (service.Spec.Type, port.Port, port.TargetPort.Value, port.NodePort));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "clusterregistry", ["module"] = "clusterregistry-apiserver" }, service.Spec.Selector);
        Assert.Null(ManifestBuilder.Service(Names, Options.Init(Mode.Standalone)).Spec.Ports.Single().NodePort);
    }

    [Fact]
    public void Deployment_OnTheVolume_IsRecreate_Secure_AndMountsWhatTheArgsName()
    {
        var deployment = Build(Options.Init(Mode.Standalone, token: true)).OfType<V1Deployment>().Single();
        var spec = deployment.Spec;
        Assert.Equal("Recreate", spec.Strategy.Type);
        Assert.Equal(spec.Template.Metadata.Labels, spec.Selector.MatchLabels);
        var pod = spec.Template.Spec;
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Equal(65532, pod.SecurityContext.FsGroup);
        Assert.False(pod.AutomountServiceAccountToken);
        var container = pod.Containers.Single();
        Assert.Equal(["/app/clusterregistry", "standalone"], container.Command);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(("/readyz", "HTTPS"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Scheme));
        Assert.Equal(8443, container.Ports.Single().ContainerPort);

        var args = container.Args;
        Assert.Contains("--anonymous-auth=false", args);
        Assert.Contains("--authorization-mode=AlwaysDeny", args);
        Assert.DoesNotContain(args, a => a.Contains("AlwaysAllow", StringComparison.Ordinal));
        Assert.Contains("--secure-port=8443", args);
        Assert.Contains("--data-dir=/var/lib/clusterregistry", args);
        Assert.Equal(args.Order(StringComparer.Ordinal), args);

        // Every file an argument names is a key of the Secret mounted at that directory.
        var secret = Build(Options.Init(Mode.Standalone, token: true)).OfType<V1Secret>().Single(s => s.Metadata.Name == "reg-apiserver-credentials");
        var mount = container.VolumeMounts.Single(m => m.MountPath == "/etc/clusterregistry/apiserver");
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("reg-apiserver-credentials", pod.Volumes.Single(v => v.Name == mount.Name).Secret.SecretName);
        var named = args.Where(a => a.Contains("=/etc/clusterregistry/apiserver/", StringComparison.Ordinal)).Select(a => a[(a.LastIndexOf('/') + 1)..]).ToList();
        Assert.Equal(["ca.crt", "server.crt", "server.key", "token.csv"], named.Order());
        Assert.All(named, key => Assert.Contains(key, secret.Data.Keys));
        Assert.Equal("reg-etcd-claim", pod.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
    }

    [Fact]
    public void ExternalEtcd_HasNoClaim_RollsUpdates_AndNamesTheServers()
    {
        var objects = Build(Options.Init(Mode.Standalone, new StorageChoice.Etcd(["https://etcd-0:2379", "https://etcd-1:2379"])));
        Assert.Empty(objects.OfType<V1PersistentVolumeClaim>());
        var deployment = objects.OfType<V1Deployment>().Single();
        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);
        Assert.Contains("--etcd-servers=https://etcd-0:2379,https://etcd-1:2379", deployment.Spec.Template.Spec.Containers[0].Args);
        Assert.Contains("--storage-backend=etcd3", deployment.Spec.Template.Spec.Containers[0].Args);
        Assert.Single(deployment.Spec.Template.Spec.Containers);
        Assert.NotNull(deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == "data").EmptyDir);
    }

    [Fact]
    public void Postgres_ConnectionString_IsInTheSecret_NotTheDeployment()
    {
        const string connection = "Host=db;Database=registry;Username=u;Password=s3cret";
        var objects = Build(Options.Init(Mode.Standalone, new StorageChoice.Postgres(connection)));
        var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == "reg-apiserver-credentials");
        Assert.Equal(connection, Encoding.UTF8.GetString(secret.Data["postgres-connection-string"]));
        var container = objects.OfType<V1Deployment>().Single().Spec.Template.Spec.Containers[0];
        Assert.DoesNotContain(k8s.KubernetesJson.Serialize(objects.OfType<V1Deployment>().Single()), "s3cret", StringComparison.Ordinal);
        Assert.Contains("--postgres-connection-string=$(POSTGRES_CONNECTION_STRING)", container.Args);
        var env = container.Env.Single();
        Assert.Equal(("POSTGRES_CONNECTION_STRING", "reg-apiserver-credentials", "postgres-connection-string"),
            (env.Name, env.ValueFrom.SecretKeyRef.Name, env.ValueFrom.SecretKeyRef.Key));
    }

    [Fact]
    public void ArgOverrides_ReplaceDefaults_AndAddFlags()
    {
        var overrides = ServerArguments.ParseOverrides(" --secure-port=9443 , --audit-log-path=/tmp/audit.log,--authorization-mode=Webhook");
        var args = ServerArguments.For(Options.Init(Mode.Standalone, overrides: overrides), new Endpoint([IPAddress.Parse("10.0.0.7")], [], 30443));
        Assert.Contains("--secure-port=9443", args);
        Assert.DoesNotContain("--secure-port=8443", args);
        Assert.Contains("--audit-log-path=/tmp/audit.log", args);
        Assert.Contains("--authorization-mode=Webhook", args);
        Assert.Contains("--advertise-address=10.0.0.7", args);
    }

    [Theory]
    [InlineData("=x", "has no flag name")]
    [InlineData("secure-port=1", "must be a flag with its dashes")]
    [InlineData("--=1", "must be a flag with its dashes")]
    public void ArgOverrides_WithoutAFlagName_AreRefused(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => ServerArguments.ParseOverrides(text));
        Assert.Contains(message, e.Message);
    }

    private static string Id(k8s.IKubernetesObject<V1ObjectMeta> o) =>
        $"{o.ApiVersion}/{o.Kind} {(o.Metadata.NamespaceProperty is { } ns ? ns + "/" : "")}{o.Metadata.Name}";
}
