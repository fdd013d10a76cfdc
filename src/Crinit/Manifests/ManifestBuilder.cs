using System.Text;
using ClusterRegistry.Crinit.Cli;
using ClusterRegistry.Crinit.Pki;
using k8s;
using k8s.Models;

namespace ClusterRegistry.Crinit.Manifests;

/// <summary>
/// Every object an install consists of, in the order they are applied (the Deployment after what it mounts, the
/// APIService last, once something can answer for it). The same objects are printed by --dry-run.
/// </summary>
public static class ManifestBuilder
{
    public static V1Namespace Namespace(Names names) => new()
    {
        ApiVersion = "v1",
        Kind = "Namespace",
        Metadata = new V1ObjectMeta { Name = names.Namespace, Labels = Names.Labels, Annotations = names.Annotations },
    };

    public static V1Service Service(Names names, InitOptions options) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Meta(names, names.Service, names.Namespace),
        Spec = new V1ServiceSpec
        {
            Type = options.ServiceType,
            Selector = Names.PodLabels,
            Ports =
            [
                new V1ServicePort
                {
                    Name = "https",
                    Protocol = "TCP",
                    Port = Names.ServicePort,
                    TargetPort = "https",
                    NodePort = options.ServiceType == "NodePort" && options.NodePort > 0 ? options.NodePort : null,
                },
            ],
        },
    };

    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Build(Names names, InitOptions options, Credentials credentials, Endpoint endpoint)
    {
        var objects = new List<IKubernetesObject<V1ObjectMeta>>
        {
            Namespace(names),
            Service(names, options),
            CaSecret(names, credentials),
            CredentialsSecret(names, options, credentials),
        };
        if (options.Storage is StorageChoice.Embedded { Persistent: true } embedded) objects.Add(Claim(names, embedded));
        if (options.Host.Mode == Mode.Aggregated)
        {
            objects.Add(new V1ServiceAccount
            {
                ApiVersion = "v1",
                Kind = "ServiceAccount",
                Metadata = Meta(names, Names.ServiceAccount, names.Namespace),
            });
            objects.Add(AuthDelegator(names));
            objects.Add(AuthReader(names));
        }
        objects.Add(Deployment(names, options, endpoint));
        if (options.Host.Mode == Mode.Aggregated) objects.Add(ApiService(names, credentials));
        return objects;
    }

    public static V1Secret CaSecret(Names names, Credentials credentials) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = Meta(names, names.CaSecret, names.Namespace),
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            [SecretKeys.CaCertificate] = Encoding.ASCII.GetBytes(credentials.Ca.CertificatePem),
            [SecretKeys.CaKey] = Encoding.ASCII.GetBytes(credentials.Ca.KeyPem),
        },
    };

    public static V1Secret CredentialsSecret(Names names, InitOptions options, Credentials credentials)
    {
        var data = new Dictionary<string, byte[]>
        {
            [SecretKeys.Ca] = Encoding.ASCII.GetBytes(credentials.Ca.CertificatePem),
            [SecretKeys.ServerCertificate] = Encoding.ASCII.GetBytes(credentials.Server.CertificatePem),
            [SecretKeys.ServerKey] = Encoding.ASCII.GetBytes(credentials.Server.KeyPem),
        };
        if (credentials.TokenCsv is { } csv) data[SecretKeys.TokenCsv] = Encoding.UTF8.GetBytes(csv);
        if (options.Storage is StorageChoice.Postgres postgres)
            data[SecretKeys.PostgresConnectionString] = Encoding.UTF8.GetBytes(postgres.ConnectionString);
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = Meta(names, names.CredentialsSecret, names.Namespace),
            Type = "Opaque",
            Data = data,
        };
    }

    public static V1PersistentVolumeClaim Claim(Names names, StorageChoice.Embedded storage) => new()
    {
        ApiVersion = "v1",
        Kind = "PersistentVolumeClaim",
        Metadata = Meta(names, names.Claim, names.Namespace),
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage.Capacity) } },
            StorageClassName = string.IsNullOrEmpty(storage.StorageClass) ? null : storage.StorageClass,
        },
    };

    public static V1ClusterRoleBinding AuthDelegator(Names names) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "ClusterRoleBinding",
        Metadata = new V1ObjectMeta { Name = Names.AuthDelegatorBinding, Labels = Names.Labels, Annotations = names.Annotations },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "system:auth-delegator" },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = Names.ServiceAccount, NamespaceProperty = names.Namespace }],
    };

    public static V1RoleBinding AuthReader(Names names) => new()
    {
        ApiVersion = "rbac.authorization.k8s.io/v1",
        Kind = "RoleBinding",
        Metadata = Meta(names, Names.AuthReaderBinding, "kube-system"),
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "extension-apiserver-authentication-reader" },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = Names.ServiceAccount, NamespaceProperty = names.Namespace }],
    };

    public static V1APIService ApiService(Names names, Credentials credentials) => new()
    {
        ApiVersion = "apiregistration.k8s.io/v1",
        Kind = "APIService",
        Metadata = new V1ObjectMeta { Name = Names.ApiService, Labels = Names.Labels, Annotations = names.Annotations },
        Spec = new V1APIServiceSpec
        {
            Group = Names.Group,
            Version = Names.Version,
            Service = new Apiregistrationv1ServiceReference { NamespaceProperty = names.Namespace, Name = names.Service, Port = Names.ServicePort },
            CaBundle = Encoding.ASCII.GetBytes(credentials.Ca.CertificatePem),
            GroupPriorityMinimum = 10000,
            VersionPriority = 20,
        },
    };

    public static V1Deployment Deployment(Names names, InitOptions options, Endpoint endpoint)
    {
        var aggregated = options.Host.Mode == Mode.Aggregated;
        var onVolume = options.Storage is StorageChoice.Embedded { Persistent: true };
        var mode = aggregated ? "aggregated" : "standalone";
        var container = new V1Container
        {
            Name = "clusterregistry",
            Image = options.Image,
            ImagePullPolicy = options.ImagePullPolicy,
            Command = [ServerArguments.Executable, mode],
            Args = [.. ServerArguments.For(options, endpoint)],
            Ports = [new V1ContainerPort { Name = "https", ContainerPort = Names.ContainerPort, Protocol = "TCP" }],
            ReadinessProbe = Probe("/readyz", 2),
            LivenessProbe = Probe("/livez", 10),
            VolumeMounts =
            [
                new V1VolumeMount { Name = "credentials", MountPath = Names.CredentialsMountPath, ReadOnlyProperty = true },
                new V1VolumeMount { Name = "data", MountPath = Names.DataMountPath },
                new V1VolumeMount { Name = "tmp", MountPath = "/tmp" },
            ],
            SecurityContext = new V1SecurityContext
            {
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                Capabilities = new V1Capabilities { Drop = ["ALL"] },
            },
        };
        if (options.Storage is StorageChoice.Postgres)
        {
            container.Env =
            [
                new V1EnvVar
                {
                    Name = ServerArguments.PostgresVariable,
                    ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = names.CredentialsSecret, Key = SecretKeys.PostgresConnectionString } },
                },
            ];
        }
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Meta(names, names.Deployment, names.Namespace),
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = Names.PodLabels },
                // One ReadWriteOnce volume: a rolling update would start the new pod beside the old one and hang
                // on Multi-Attach (the original guide's troubleshooting section).
                Strategy = new V1DeploymentStrategy { Type = onVolume ? "Recreate" : "RollingUpdate" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Names.PodLabels },
                    Spec = new V1PodSpec
                    {
                        ServiceAccountName = aggregated ? Names.ServiceAccount : "default",
                        // Only the aggregated server talks to the host (TokenReview, SubjectAccessReview).
                        AutomountServiceAccountToken = aggregated,
                        SecurityContext = new V1PodSecurityContext
                        {
                            RunAsNonRoot = true,
                            RunAsUser = 65532,
                            RunAsGroup = 65532,
                            // Makes a fresh volume writable by the server's user.
                            FsGroup = 65532,
                            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                        },
                        Containers = [container],
                        Volumes =
                        [
                            new V1Volume { Name = "credentials", Secret = new V1SecretVolumeSource { SecretName = names.CredentialsSecret } },
                            onVolume
                                ? new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = names.Claim } }
                                : new V1Volume { Name = "data", EmptyDir = new V1EmptyDirVolumeSource() },
                            new V1Volume { Name = "tmp", EmptyDir = new V1EmptyDirVolumeSource() },
                        ],
                    },
                },
            },
        };
    }

    private static V1Probe Probe(string path, int period) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = "https", Scheme = "HTTPS" },
        PeriodSeconds = period,
    };

    private static V1ObjectMeta Meta(Names names, string name, string ns) => new() { Name = name, NamespaceProperty = ns, Labels = Names.Labels, Annotations = names.Annotations };
}
