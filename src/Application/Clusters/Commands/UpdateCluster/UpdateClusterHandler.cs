using ClusterRegistry.Application.Abstractions;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;
using Mediator;

namespace ClusterRegistry.Application.Clusters.Commands.UpdateCluster;

/// <summary>Replaces a cluster (or its status) if the body's resourceVersion is still current.</summary>
public sealed class UpdateClusterHandler(ClusterUpdates updates, IRequestContext context) : ICommandHandler<UpdateClusterCommand, Cluster>
{
    private static GroupResource R => ClusterResource.Info;

    public ValueTask<Cluster> Handle(UpdateClusterCommand command, CancellationToken ct)
    {
        var body = ClusterBodies.Decode(command.Body, command.Options.Mode, context.AddWarning);
        if (!string.IsNullOrEmpty(body.Metadata.Name) && body.Metadata.Name != command.Name)
            throw ApiErrors.NameMismatch(body.Metadata.Name, command.Name);
        body.Metadata.Name = command.Name;
        if (!ClusterStrategy.AllowUnconditionalUpdate && string.IsNullOrEmpty(body.Metadata.ResourceVersion))
            throw ApiErrors.Invalid(R, command.Name,
                [FieldError.Invalid("metadata.resourceVersion", new RawValue("0x0"), "must be specified for an update")]);

        var json = Domain.Meta.ApiJson.Serialize(body);
        var uid = body.Metadata.Uid;
        return updates.GuaranteedUpdateAsync(command.Name, current =>
            {
                // kube-apiserver takes the body's uid as a storage precondition (rest.defaultUpdatedObjectInfo), checked
                // against the latest object on every attempt: a PUT meant for an object since deleted and re-created
                // under the name is a 409, not an immutable-field 422.
                if (!string.IsNullOrEmpty(uid) && uid != current.Metadata.Uid)
                    throw UidPreconditionFailed(command.Name, uid, current.Metadata.Uid);
                return Domain.Meta.ApiJson.Deserialize<Cluster>(json);
            },
            command.Subresource == "status", command.Options.IsDryRun, command.Options.Manager, ct);
    }

    // storage.Preconditions.Check's InvalidObjError, as InterpretUpdateError turns it into a Conflict.
    private static ApiStatusException UidPreconditionFailed(string name, string uid, string? stored) =>
        ApiErrors.Conflict(R, name, $"StorageError: invalid object, Code: 4, Key: {ClusterKeys.For(name)}, ResourceVersion: 0, "
            + $"AdditionalErrorMsg: Precondition failed: UID in precondition: {uid}, UID in object meta: {stored}");
}
