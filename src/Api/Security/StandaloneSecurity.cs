using ClusterRegistry.Api.Hosting;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Infrastructure.Webhooks;

namespace ClusterRegistry.Api.Security;

/// <summary>Where the generated admin kubeconfig was written (null: none was generated), for the start-up log.</summary>
public sealed record AdminKubeconfig(string? Path);

/// <summary>
/// Authentication and authorization of <c>clusterregistry standalone</c>: client certificates, static tokens (and the
/// generated admin token), the token review webhook, optional anonymous; then system:masters and the
/// <c>--authorization-mode</c> chain.
/// </summary>
public static class StandaloneSecurity
{
    public static IServiceCollection AddStandaloneSecurity(this IServiceCollection services, ServerOptions options, ServingCertificate serving)
    {
        var tokens = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        if (options.TokenAuthFile is not null)
        {
            foreach (var (token, user) in TokenFile.Load(options.TokenAuthFile)) tokens[token] = user;
        }
        string? kubeconfig = null;
        if (options.GeneratesAdminCredentials)
        {
            var token = AdminCredentials.EnsureToken(options.Infrastructure.DataDir);
            tokens[token] = AdminCredentials.Admin;
            var ca = File.ReadAllText(serving.CertificatePath);
            kubeconfig = AdminCredentials.WriteKubeconfig(options.Infrastructure.DataDir, options.KubeconfigServer, ca, token);
        }
        services.AddSingleton(new AdminKubeconfig(kubeconfig));
        services.AddSingleton<IAuthenticator>(sp => new Authenticator(tokens, options.AnonymousAuth, serving.ClientCa,
            options.TokenWebhookConfigFile is null ? null : new TokenReviewAuthenticator(WebhookKubeconfig.Load(options.TokenWebhookConfigFile),
                options.TokenWebhookCacheTtl, sp.GetRequiredService<ILogger<TokenReviewAuthenticator>>())));
        var webhookConfig = options.AuthorizationWebhookConfigFile is null ? null : WebhookKubeconfig.Load(options.AuthorizationWebhookConfigFile);
        services.AddSingleton<IAuthorizer>(sp => new UnionAuthorizer(options.AuthorizationModes.Select(mode => mode switch
        {
            "AlwaysAllow" => (IAuthorizer)new AlwaysAllowAuthorizer(),
            "AlwaysDeny" => new AlwaysDenyAuthorizer(),
            "Webhook" => new WebhookAuthorizer(new WebhookAuthorizerOptions(webhookConfig!, options.AuthorizationWebhookVersion,
                    options.AuthorizedTtl, options.UnauthorizedTtl),
                sp.GetRequiredService<ILogger<WebhookAuthorizer>>(), sp.GetRequiredService<WebhookMetrics>()),
            _ => throw new InvalidOperationException($"unknown authorization mode {mode}"),
        }).Prepend(new PrivilegedGroupAuthorizer()).ToList()));
        return services;
    }
}
