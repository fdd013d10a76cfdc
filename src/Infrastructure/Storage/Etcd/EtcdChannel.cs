using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterRegistry.Infrastructure.Storage.Etcd;

/// <summary>The gRPC channel to the etcd members: round robin over all of them, dead connections found by HTTP/2 keepalive.</summary>
internal static class EtcdChannel
{
    public static GrpcChannel Create(EtcdOptions options)
    {
        var servers = options.Servers.Select(s => new Uri(s, UriKind.Absolute)).ToList();
        var tls = servers[0].Scheme == Uri.UriSchemeHttps;
        var handler = new SocketsHttpHandler
        {
            // A member that is down but whose address still accepts nothing (a dead host, not a refused port) must
            // not hold a subchannel in Connecting for long: the balancer sends calls to the members that are up.
            ConnectTimeout = options.DialTimeout < options.RequestTimeout ? options.DialTimeout : options.RequestTimeout,
            // Pings only while calls are open: etcd (gRPC's enforcement policy, PermitWithoutStream=false) closes a
            // connection that pings without open streams, or more often than --grpc-keepalive-min-time (5 s).
            KeepAlivePingDelay = options.KeepAliveInterval,
            KeepAlivePingTimeout = options.KeepAliveTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
        };
        if (tls) handler.SslOptions = SslOptions(options);

        // No retry policy here: EtcdStorage retries each call itself, since whether a failed write may be sent again
        // depends on the write and on what the failure proves (EtcdErrors.Classify).
        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            // Deadlines surface as RpcException(DeadlineExceeded), told apart from the caller's cancellation.
            ThrowOperationCanceledOnCancellation = false,
            MaxReceiveMessageSize = null,
        };
        if (servers.Count == 1) return GrpcChannel.ForAddress(servers[0], channelOptions);

        channelOptions.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
        channelOptions.Credentials = tls ? Grpc.Core.ChannelCredentials.SecureSsl : Grpc.Core.ChannelCredentials.Insecure;
        var addresses = servers.Select(u => new BalancerAddress(u.Host, u.Port)).ToArray();
        var services = new ServiceCollection();
        services.AddSingleton<ResolverFactory>(new StaticResolverFactory(_ => addresses));
        channelOptions.ServiceProvider = services.BuildServiceProvider();
        return GrpcChannel.ForAddress("static:///etcd", channelOptions);
    }

    private static SslClientAuthenticationOptions SslOptions(EtcdOptions options)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (options.CertFile is not null)
            ssl.ClientCertificates = new X509CertificateCollection { X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile) };
        if (options.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.CaFile);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            ssl.CertificateChainPolicy = policy;
        }
        return ssl;
    }
}
