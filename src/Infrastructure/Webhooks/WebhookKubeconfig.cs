using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ClusterRegistry.Infrastructure.Webhooks;

/// <summary>
/// A webhook's connection settings in kubeconfig format, as kube-apiserver reads
/// <c>--authorization-webhook-config-file</c> and <c>--authentication-token-webhook-config-file</c>: the current
/// context's cluster (server, CA) and user (client certificate, bearer token).
/// </summary>
public sealed class WebhookKubeconfig
{
    public required Uri Server { get; init; }
    public X509Certificate2Collection? CertificateAuthority { get; init; }
    public X509Certificate2? ClientCertificate { get; init; }
    public string? Token { get; init; }

    /// <summary>A file holding the bearer token, re-read as it rotates (a pod's projected ServiceAccount token).</summary>
    public string? TokenFile { get; init; }
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The same connection settings for another URL on the same server (an API path of a host cluster).</summary>
    public WebhookKubeconfig At(string path) => new()
    {
        // Appended, not resolved: a server URL may carry a path prefix (a proxy in front of the API server).
        Server = new Uri(Server.GetLeftPart(UriPartial.Authority) + Server.AbsolutePath.TrimEnd('/') + path),
        CertificateAuthority = CertificateAuthority,
        ClientCertificate = ClientCertificate,
        Token = Token,
        TokenFile = TokenFile,
        InsecureSkipTlsVerify = InsecureSkipTlsVerify,
    };

    private sealed class File
    {
        public List<Named<ClusterEntry>>? Clusters { get; set; }
        public List<Named<UserEntry>>? Users { get; set; }
        public List<Named<ContextEntry>>? Contexts { get; set; }
        [YamlMember(Alias = "current-context", ApplyNamingConventions = false)] public string? CurrentContext { get; set; }
    }

    private sealed class Named<T>
    {
        public string? Name { get; set; }
        public T? Cluster { get; set; }
        public T? User { get; set; }
        public T? Context { get; set; }
    }

    private sealed class ClusterEntry
    {
        public string? Server { get; set; }
        [YamlMember(Alias = "certificate-authority", ApplyNamingConventions = false)] public string? CertificateAuthority { get; set; }
        [YamlMember(Alias = "certificate-authority-data", ApplyNamingConventions = false)] public string? CertificateAuthorityData { get; set; }
        [YamlMember(Alias = "insecure-skip-tls-verify", ApplyNamingConventions = false)] public bool InsecureSkipTlsVerify { get; set; }
    }

    private sealed class UserEntry
    {
        [YamlMember(Alias = "client-certificate", ApplyNamingConventions = false)] public string? ClientCertificate { get; set; }
        [YamlMember(Alias = "client-certificate-data", ApplyNamingConventions = false)] public string? ClientCertificateData { get; set; }
        [YamlMember(Alias = "client-key", ApplyNamingConventions = false)] public string? ClientKey { get; set; }
        [YamlMember(Alias = "client-key-data", ApplyNamingConventions = false)] public string? ClientKeyData { get; set; }
        public string? Token { get; set; }
    }

    private sealed class ContextEntry
    {
        public string? Cluster { get; set; }
        public string? User { get; set; }
    }

    public static WebhookKubeconfig Load(string path)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).IgnoreUnmatchedProperties().Build();
        var file = deserializer.Deserialize<File>(System.IO.File.ReadAllText(path)) ?? throw new InvalidOperationException($"{path}: empty kubeconfig");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var context = file.Contexts?.FirstOrDefault(c => c.Name == file.CurrentContext)?.Context ?? file.Contexts?.FirstOrDefault()?.Context;
        var cluster = (context?.Cluster is { } cn ? file.Clusters?.FirstOrDefault(c => c.Name == cn) : file.Clusters?.FirstOrDefault())?.Cluster
                      ?? throw new InvalidOperationException($"{path}: no cluster");
        var user = (context?.User is { } un ? file.Users?.FirstOrDefault(u => u.Name == un) : file.Users?.FirstOrDefault())?.User;
        if (!Uri.TryCreate(cluster.Server, UriKind.Absolute, out var server))
            throw new InvalidOperationException($"{path}: cluster.server must be an absolute URL");

        X509Certificate2Collection? ca = null;
        var caPem = Pem(cluster.CertificateAuthorityData, cluster.CertificateAuthority, baseDir);
        if (caPem is not null)
        {
            ca = [];
            ca.ImportFromPem(caPem);
        }
        X509Certificate2? clientCert = null;
        var certPem = Pem(user?.ClientCertificateData, user?.ClientCertificate, baseDir);
        var keyPem = Pem(user?.ClientKeyData, user?.ClientKey, baseDir);
        if (certPem is not null && keyPem is not null)
        {
            using var pemCert = X509Certificate2.CreateFromPem(certPem, keyPem);
            // SslStream needs an exportable, persisted key on Linux for client certificates.
            clientCert = X509CertificateLoader.LoadPkcs12(pemCert.Export(X509ContentType.Pkcs12), null);
        }
        return new WebhookKubeconfig
        {
            Server = server,
            CertificateAuthority = ca,
            ClientCertificate = clientCert,
            Token = user?.Token,
            InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify,
        };
    }

    private static string? Pem(string? data, string? file, string baseDir) =>
        !string.IsNullOrEmpty(data) ? System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(data))
        : !string.IsNullOrEmpty(file) ? System.IO.File.ReadAllText(Path.IsPathRooted(file) ? file : Path.Combine(baseDir, file))
        : null;

    /// <summary>An HttpClient for the webhook: its CA only (when given), its client certificate, its token.</summary>
    public HttpClient CreateClient(TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = timeout, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (ClientCertificate is not null) handler.SslOptions.ClientCertificates = [ClientCertificate];
#pragma warning disable CA5359 // The kubeconfig's insecure-skip-tls-verify: the operator asked for it, as client-go honours it.
        if (InsecureSkipTlsVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        else if (CertificateAuthority is { Count: > 0 } ca)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (cert is null) return false;
                if (errors == SslPolicyErrors.None) return true;
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(cert));
            };
        HttpMessageHandler outer = TokenFile is null ? handler : new Delegated.TokenFileHandler(TokenFile) { InnerHandler = handler };
        var client = new HttpClient(outer) { Timeout = timeout };
        if (!string.IsNullOrEmpty(Token)) client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return client;
    }
}
