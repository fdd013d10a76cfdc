using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Clusters;

/// <summary>
/// The rules of the Cluster resource, shaped like a k8s.io/apiserver RESTCreateStrategy/RESTUpdateStrategy:
/// the generic create and update paths call these hooks in a fixed order
/// (PrepareForCreate → Validate → WarningsOnCreate → Canonicalize on create;
/// PrepareForUpdate → ValidateUpdate → WarningsOnUpdate → Canonicalize on update).
/// The main resource behaves like a CRD with a status subresource.
/// </summary>
public static class ClusterStrategy
{
    /// <summary>PUT of a missing object is a 404, not a create.</summary>
    public const bool AllowCreateOnUpdate = false;

    /// <summary>A PUT must carry metadata.resourceVersion.</summary>
    public const bool AllowUnconditionalUpdate = false;

    /// <summary>
    /// Invoked on create before validation to normalize the object. For example: clear fields that are not
    /// allowed to be set by end users on creation. It mutates <paramref name="cluster"/>.
    /// Here: status is dropped (it is written only through /status) and generation starts at 1.
    /// </summary>
    public static void PrepareForCreate(Cluster cluster)
    {
        cluster.Status = null;
        cluster.Metadata.Generation = 1;
    }

    /// <summary>
    /// Invoked on update of the main resource before validation to normalize the object. It mutates
    /// <paramref name="updated"/> only: status is kept from <paramref name="old"/> and generation is bumped
    /// when the spec changed.
    /// </summary>
    public static void PrepareForUpdate(Cluster updated, Cluster old)
    {
        updated.Status = old.Status is null ? null : ApiJson.Clone(old.Status);
        updated.Metadata.Generation = old.Metadata.Generation ?? 1;
        if (!ApiJson.JsonEquals(updated.Spec, old.Spec))
            updated.Metadata.Generation++;
    }

    /// <summary>
    /// Invoked on update of the status subresource before validation. Everything but status (and
    /// managedFields, which the server maintains) is taken from <paramref name="old"/>; it mutates
    /// <paramref name="updated"/>.
    /// </summary>
    public static void PrepareForStatusUpdate(Cluster updated, Cluster old)
    {
        var managed = updated.Metadata.ManagedFields;
        var resourceVersion = updated.Metadata.ResourceVersion;
        updated.Metadata = old.Metadata.Clone();
        updated.Metadata.ManagedFields = managed;
        updated.Metadata.ResourceVersion = resourceVersion;
        updated.Spec = old.Spec is null ? null : ApiJson.Clone(old.Spec);
    }

    /// <summary>Validates a new object after PrepareForCreate; it does not mutate.</summary>
    public static List<FieldError> Validate(Cluster cluster) => ClusterValidation.Validate(cluster);

    /// <summary>Validates an update after PrepareForUpdate/PrepareForStatusUpdate; it does not mutate.</summary>
    public static List<FieldError> ValidateUpdate(Cluster updated, Cluster old) => ClusterValidation.ValidateUpdate(updated, old);

    /// <summary>Warnings to return to the client on create, after validation succeeded; it does not mutate.</summary>
    public static List<string> WarningsOnCreate(Cluster cluster) => FinalizerWarnings(cluster.Metadata);

    /// <summary>Warnings to return to the client on update, after validation succeeded; it does not mutate.</summary>
    public static List<string> WarningsOnUpdate(Cluster updated, Cluster old) =>
        FinalizerWarnings(updated.Metadata).Except(FinalizerWarnings(old.Metadata)).ToList();

    /// <summary>
    /// Invoked after validation has succeeded but before the object is stored, to bring it to canonical form.
    /// It mutates <paramref name="cluster"/>: empty collections are removed so that equal content stores equal
    /// bytes (and a no-op update is recognised as one).
    /// </summary>
    public static void Canonicalize(Cluster cluster)
    {
        var m = cluster.Metadata;
        if (m.Labels is { Count: 0 }) m.Labels = null;
        if (m.Annotations is { Count: 0 }) m.Annotations = null;
        if (m.Finalizers is { Count: 0 }) m.Finalizers = null;
        if (m.OwnerReferences is { Count: 0 }) m.OwnerReferences = null;
        if (m.ManagedFields is { Count: 0 }) m.ManagedFields = null;
        m.SelfLink = null;
    }

    private static List<string> FinalizerWarnings(ObjectMeta meta) =>
        (meta.Finalizers ?? [])
            .Where(f => f is not null && !f.Contains('/') && f is not ("orphan" or "foregroundDeletion"))
            .Select(f => $"metadata.finalizers: \"{f}\": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers")
            .ToList();
}
