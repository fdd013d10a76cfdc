namespace ClusterRegistry.Api.Auditing;

public static class AuditServices
{
    /// <summary>Registers the audit log the audit and authentication middlewares write to.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, AuditOptions options) =>
        services.AddSingleton(sp => new AuditLog(options, sp.GetRequiredService<ILogger<AuditLog>>()));
}
