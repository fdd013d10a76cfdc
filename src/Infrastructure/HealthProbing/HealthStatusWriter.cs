using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Application.Clusters;
using ClusterRegistry.Application.Clusters.Commands.ApplyCluster;
using ClusterRegistry.Domain.Clusters;
using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// Writes what the prober found through the same Mediator commands a client's request runs (authorization,
/// validation, strategy, managed fields), as server-side apply under its own field manager: it owns the Ready and
/// IdentityMismatch conditions and status.version, and the pin annotation, and nothing a user or another
/// controller wrote. Every write names the probed object's uid, a precondition of the apply: a cluster deleted
/// while it was probed is never re-created, and one re-created under the same name never gets the old endpoint's
/// pin or status (404/409, dropped by the caller).
/// </summary>
public sealed class HealthStatusWriter(IServiceScopeFactory scopes)
{
    public const string FieldManager = "clusterregistry-health-prober";

    /// <summary>The identity the prober's writes run as (a member of system:masters, which every authorizer mode allows).</summary>
    public static readonly UserInfo User = new("system:clusterregistry:health-prober", "", ["system:masters", "system:authenticated"]);

    /// <returns>The revision of the object written.</returns>
    public Task<long> WriteStatusAsync(string name, string uid, ReportedHealth health, CancellationToken ct)
    {
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(
                Condition(ReportedHealth.ReadyType, health.Ready, health.ReadyReason, health.ReadyMessage, health.ReadySince, health.Heartbeat),
                Condition(ReportedHealth.IdentityMismatchType, health.Mismatch, health.MismatchReason, health.MismatchMessage, health.MismatchSince, health.Heartbeat)),
        };
        if (health.Version is not null) status["version"] = new JsonObject { ["kubernetes"] = health.Version };
        return ApplyAsync(name, uid, new JsonObject { ["status"] = status }, "status", ct);
    }

    /// <summary>Records the serving certificate's fingerprint in the pin annotation.</summary>
    public Task<long> PinAsync(string name, string uid, string fingerprint, CancellationToken ct) =>
        ApplyAsync(name, uid, new JsonObject(), null, ct, new JsonObject { [HealthProbeAnnotations.PinnedCertificate] = fingerprint });

    private async Task<long> ApplyAsync(string name, string uid, JsonObject body, string? subresource, CancellationToken ct, JsonObject? annotations = null)
    {
        body["apiVersion"] = ClusterResource.Info.ApiVersion;
        body["kind"] = ClusterResource.Info.Kind;
        var metadata = new JsonObject { ["name"] = name, ["uid"] = uid };
        if (annotations is not null) metadata["annotations"] = annotations;
        body["metadata"] = metadata;
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<RequestContext>().User = User;
        var options = new WriteOptions([], FieldManager, "Strict", FieldManager);
        // Forced: the prober is the authority on these fields; a hand-written Ready is taken over, as controllers do.
        var result = await scope.ServiceProvider.GetRequiredService<ISender>().Send(
            new ApplyClusterCommand(name, JsonSerializer.SerializeToElement(body), options, Force: true, subresource), ct);
        return long.TryParse(result.Object.Metadata.ResourceVersion, out var revision) ? revision : 0;
    }

    private static JsonObject Condition(string type, string status, string reason, string message, DateTimeOffset since, DateTimeOffset heartbeat) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastHeartbeatTime"] = Rfc3339(heartbeat),
        ["lastTransitionTime"] = Rfc3339(since),
        ["reason"] = reason,
        ["message"] = message,
    };

    private static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
