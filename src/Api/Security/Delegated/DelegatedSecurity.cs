using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Delegated;
using ClusterRegistry.Infrastructure.Webhooks;

namespace ClusterRegistry.Api.Security.Delegated;

/// <summary>
/// Authentication and authorization of <c>clusterregistry aggregated</c>, delegated to the host kube-apiserver as
/// k8s.io/apiserver's delegating options do: front proxy, client certificates, bearer tokens by TokenReview
/// (authentication.k8s.io/v1), optional anonymous; then system:masters, the always-allowed paths, and
/// SubjectAccessReview (authorization.k8s.io/v1) to the host, which fails closed.
/// </summary>
public sealed class DelegatedSecurity : IDisposable
{
    public const string TokenReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews";
    public const string SubjectAccessReviewPath = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

    private DelegatedSecurity(DelegatedAuthenticationSource source, WebhookKubeconfig authenticationHost, WebhookKubeconfig authorizationHost)
    {
        Source = source;
        AuthenticationHost = authenticationHost;
        AuthorizationHost = authorizationHost;
    }

    public DelegatedAuthenticationSource Source { get; }
    public WebhookKubeconfig AuthenticationHost { get; }
    public WebhookKubeconfig AuthorizationHost { get; }

    /// <summary>Connects to the host and reads its authentication configuration; errors say what to fix.</summary>
    public static async Task<DelegatedSecurity> StartAsync(ServerOptions options, AggregatedOptions aggregated, CancellationToken ct)
    {
        var authentication = HostCredentials.Load(aggregated.AuthenticationKubeconfig, "--authentication-kubeconfig");
        var authorization = aggregated.AuthorizationKubeconfig == aggregated.AuthenticationKubeconfig
            ? authentication
            : HostCredentials.Load(aggregated.AuthorizationKubeconfig, "--authorization-kubeconfig");
        var source = await DelegatedAuthenticationSource.StartAsync(options.ClientCaFile, aggregated, authentication, ct);
        return new DelegatedSecurity(source, authentication, authorization);
    }

    public void Register(IServiceCollection services, ServerOptions options, AggregatedOptions aggregated)
    {
        services.AddSingleton(Source);
        services.AddHostedService<DelegatedAuthenticationRefresher>();
        services.AddSingleton<IAuthenticator>(sp => new Authenticator(new Dictionary<string, UserInfo>(), options.AnonymousAuth, null,
            new TokenReviewAuthenticator(AuthenticationHost.At(TokenReviewPath), aggregated.TokenCacheTtl,
                sp.GetRequiredService<ILogger<TokenReviewAuthenticator>>()),
            () => Source.Current));
        services.AddSingleton<IAuthorizer>(sp => new UnionAuthorizer(
        [
            new PrivilegedGroupAuthorizer(),
            new AlwaysAllowPathsAuthorizer(aggregated.AlwaysAllowPaths),
            new WebhookAuthorizer(new WebhookAuthorizerOptions(AuthorizationHost.At(SubjectAccessReviewPath), "v1",
                aggregated.AuthorizedTtl, aggregated.UnauthorizedTtl), sp.GetRequiredService<ILogger<WebhookAuthorizer>>(),
                sp.GetRequiredService<WebhookMetrics>()),
        ]));
    }

    public void Dispose() => Source.Dispose();
}
