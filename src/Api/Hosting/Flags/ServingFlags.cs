using System.CommandLine;

namespace ClusterRegistry.Api.Hosting.Flags;

/// <summary>Where and how the server listens, and where it keeps its files.</summary>
public sealed class ServingFlags : IFlagGroup
{
    private readonly Option<int> _securePort = new("--secure-port")
    {
        Description = "The port on which to serve HTTPS.",
        DefaultValueFactory = _ => 6443,
    };
    private readonly Option<string> _bindAddress = new("--bind-address")
    {
        Description = "The IP address on which to listen.",
        DefaultValueFactory = _ => "127.0.0.1",
    };
    private readonly Option<string> _dataDir = new("--data-dir")
    {
        Description = "Directory for the embedded store, generated certificates, token and kubeconfig.",
        DefaultValueFactory = _ => ServerOptions.DefaultDataDir(),
    };
    private readonly Option<string?> _certDir = new("--cert-dir")
    {
        Description = "Directory for the generated self-signed serving certificate (default <data-dir>/certs). Ignored when --tls-cert-file is set.",
    };
    private readonly Option<string?> _tlsCert = new("--tls-cert-file") { Description = "PEM serving certificate (with intermediates)." };
    private readonly Option<string?> _tlsKey = new("--tls-private-key-file") { Description = "PEM private key of --tls-cert-file." };
    private readonly Option<string?> _advertise = new("--advertise-address")
    {
        Description = "Address (IP or DNS name) clients use; added to the generated certificate's SANs.",
    };
    private readonly Option<string?> _externalUrl = new("--external-url")
    {
        Description = "https URL clients outside this host or container use, e.g. a published port (https://127.0.0.1:16443); "
            + "the generated kubeconfig names it and its host is added to the generated certificate's SANs.",
    };

    public IEnumerable<Option> Options => [_securePort, _bindAddress, _dataDir, _certDir, _tlsCert, _tlsKey, _advertise, _externalUrl];

    public ServerOptions Read(ParseResult parse, ServerOptions options, ICollection<string> errors)
    {
        var cert = parse.GetValue(_tlsCert);
        var key = parse.GetValue(_tlsKey);
        if ((cert is null) != (key is null)) errors.Add("--tls-cert-file and --tls-private-key-file must be given together");
        var bind = parse.GetValue(_bindAddress)!;
        if (!System.Net.IPAddress.TryParse(bind, out _)) errors.Add($"--bind-address must be an IP address (got \"{bind}\")");
        Uri? external = null;
        if (parse.GetValue(_externalUrl) is { } text
            && (!Uri.TryCreate(text, UriKind.Absolute, out external) || external.Scheme != "https"
                || external.AbsolutePath != "/" || external.Query.Length > 0 || external.UserInfo.Length > 0))
            errors.Add($"--external-url must be an https URL with a host and optional port, nothing else (got \"{text}\")");
        return options with
        {
            SecurePort = parse.GetValue(_securePort),
            BindAddress = bind,
            Infrastructure = options.Infrastructure with { DataDir = Path.GetFullPath(parse.GetValue(_dataDir)!) },
            CertDir = parse.GetValue(_certDir),
            TlsCertFile = cert,
            TlsPrivateKeyFile = key,
            AdvertiseAddress = parse.GetValue(_advertise),
            ExternalUrl = external,
        };
    }
}
