using System.Text;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Domain.Validation;

/// <summary>ObjectMeta rules for a cluster-scoped object (k8s.io/apimachinery/pkg/api/validation/objectmeta.go).</summary>
public static class ObjectMetaValidation
{
    public const int TotalAnnotationSizeLimitBytes = 256 * (1 << 10);

    public static List<FieldError> Validate(ObjectMeta meta)
    {
        var errs = new List<FieldError>();
        if (string.IsNullOrEmpty(meta.Name))
        {
            errs.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        }
        else
        {
            foreach (var msg in NameValidation.IsDns1123Subdomain(meta.Name))
                errs.Add(FieldError.Invalid("metadata.name", meta.Name, msg));
        }
        if (!string.IsNullOrEmpty(meta.Namespace))
            errs.Add(FieldError.Forbidden("metadata.namespace", "not allowed on this type"));
        if (!string.IsNullOrEmpty(meta.ClusterName))
            errs.Add(FieldError.Forbidden("metadata.clusterName", "not allowed on this type"));
        if (meta.Generation < 0)
            errs.Add(FieldError.Invalid("metadata.generation", meta.Generation, "must be greater than or equal to 0"));

        foreach (var (key, value) in meta.Labels ?? [])
        {
            foreach (var msg in NameValidation.IsQualifiedName(key))
                errs.Add(FieldError.Invalid("metadata.labels", key, msg));
            // A JSON null decodes to "" in Go; the request edge normalizes it, this keeps validation total regardless.
            foreach (var msg in NameValidation.IsValidLabelValue(value ?? ""))
                errs.Add(FieldError.Invalid("metadata.labels", value, msg));
        }

        long total = 0;
        foreach (var (key, value) in meta.Annotations ?? [])
        {
            foreach (var msg in NameValidation.IsQualifiedName(key.ToLowerInvariant()))
                errs.Add(FieldError.Invalid("metadata.annotations", key, msg));
            total += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? "");
        }
        if (total > TotalAnnotationSizeLimitBytes)
            errs.Add(FieldError.TooLong("metadata.annotations", $"must have at most {TotalAnnotationSizeLimitBytes} bytes"));

        var finalizers = meta.Finalizers ?? [];
        for (var i = 0; i < finalizers.Count; i++)
        {
            foreach (var msg in NameValidation.IsQualifiedName(finalizers[i] ?? ""))
                errs.Add(FieldError.Invalid($"metadata.finalizers[{i}]", finalizers[i], msg));
        }
        if (finalizers.Contains("orphan") && finalizers.Contains("foregroundDeletion"))
            errs.Add(FieldError.Invalid("metadata.finalizers", "foregroundDeletion",
                "finalizer foregroundDeletion and orphan cannot be both set"));

        var owners = meta.OwnerReferences ?? [];
        for (var i = 0; i < owners.Count; i++)
        {
            var path = $"metadata.ownerReferences[{i}]";
            if (string.IsNullOrEmpty(owners[i]?.ApiVersion)) errs.Add(FieldError.Invalid(path + ".apiVersion", owners[i]?.ApiVersion ?? "", "version must not be empty"));
            if (string.IsNullOrEmpty(owners[i]?.Kind)) errs.Add(FieldError.Invalid(path + ".kind", owners[i]?.Kind ?? "", "kind must not be empty"));
            if (string.IsNullOrEmpty(owners[i]?.Name)) errs.Add(FieldError.Invalid(path + ".name", owners[i]?.Name ?? "", "name must not be empty"));
            if (string.IsNullOrEmpty(owners[i]?.Uid)) errs.Add(FieldError.Invalid(path + ".uid", owners[i]?.Uid ?? "", "uid must not be empty"));
        }
        return errs;
    }

    /// <summary>Rules comparing an update with the stored object (ValidateObjectMetaUpdate).</summary>
    public static List<FieldError> ValidateUpdate(ObjectMeta updated, ObjectMeta old)
    {
        var errs = new List<FieldError>();
        if (updated.Name != old.Name)
            errs.Add(FieldError.Invalid("metadata.name", updated.Name, "field is immutable"));
        if (updated.Uid != old.Uid)
            errs.Add(FieldError.Invalid("metadata.uid", updated.Uid, "field is immutable"));
        if (updated.CreationTimestamp != old.CreationTimestamp)
            errs.Add(FieldError.Invalid("metadata.creationTimestamp", updated.CreationTimestamp?.ToString("u"), "field is immutable"));
        if (updated.Generation < old.Generation)
            errs.Add(FieldError.Invalid("metadata.generation", updated.Generation, "must not be decremented"));
        if (old.DeletionTimestamp is not null)
        {
            var added = (updated.Finalizers ?? []).Except(old.Finalizers ?? []).ToList();
            if (added.Count > 0)
                errs.Add(FieldError.Forbidden("metadata.finalizers",
                    $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{\"{string.Join("\", \"", added)}\"}}"));
        }
        return errs;
    }
}
