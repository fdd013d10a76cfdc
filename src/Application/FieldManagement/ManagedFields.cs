using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterRegistry.Application.Patching;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Application.FieldManagement;

/// <summary>
/// Field ownership (metadata.managedFields) as kube-apiserver's field manager keeps it: every write records which
/// manager set which fields, per manager, operation (Apply or Update) and subresource; server-side apply uses it to
/// find conflicts and to remove fields a manager stopped applying.
/// </summary>
public static class ManagedFields
{
    public const string Apply = "Apply";
    public const string Update = "Update";
    private static readonly TypeShape Shape = TypeShape.Of(typeof(Cluster));

    /// <summary>The manager name of a request: fieldManager, else the User-Agent up to its first '/', as kube-apiserver does.</summary>
    public static string ManagerFor(string? fieldManager, string? userAgent) =>
        !string.IsNullOrEmpty(fieldManager) ? fieldManager
        : string.IsNullOrEmpty(userAgent) ? "unknown" : userAgent.Split('/')[0];

    private sealed record Entry(ManagedFieldsEntry Meta, FieldSet Fields);

    private static List<Entry> Decode(List<ManagedFieldsEntry>? entries) =>
        (entries ?? []).Select(e => new Entry(e, FieldSet.FromFieldsV1(e.FieldsV1))).ToList();

    private static JsonNode Node(Cluster c) => JsonSerializer.SerializeToNode(c, ApiJson.Options)!;

    /// <summary>
    /// Records a non-apply write of <paramref name="updated"/> over <paramref name="old"/> (null for a create) by
    /// <paramref name="manager"/>: the fields it changed become its own and leave the other managers' sets. When the
    /// request itself changed managedFields (as kubectl does to move ownership between managers), those are the base.
    /// </summary>
    /// <param name="oldJson">
    /// The JSON of <paramref name="old"/> as <c>ApiJson.Options</c> writes it, when the caller has it (a stored version's
    /// wire JSON): parsed instead of encoding <paramref name="old"/> again. Empty: <paramref name="old"/> is encoded.
    /// </param>
    public static void RecordUpdate(Cluster? old, Cluster updated, string manager, string? subresource, DateTimeOffset now,
        ReadOnlyMemory<byte> oldJson = default)
    {
        var userSet = old is not null && !ApiJson.JsonEquals(updated.Metadata.ManagedFields, old.Metadata.ManagedFields);
        var entries = Decode(userSet ? updated.Metadata.ManagedFields : old?.Metadata.ManagedFields);
        var newNode = Node(updated);
        var newLeaves = FieldSet.Leaves(newNode, Shape);
        FieldSet changed;
        if (old is null)
        {
            changed = newLeaves;
        }
        else
        {
            var oldNode = oldJson.IsEmpty ? Node(old) : Serialization.JsonNodes.ParseSerialized(oldJson.Span)!;
            changed = SameApartFromManagedFields(oldNode, newNode)
                ? new FieldSet()
                : newLeaves.Where(p =>
                    !FieldNavigator.TryGet(oldNode, Shape, p, out var before)
                    || (!FieldSet.IsItem(p) && (!FieldNavigator.TryGet(newNode, Shape, p, out var after) || !JsonNode.DeepEquals(before, after))));
        }

        var result = new List<Entry>();
        var own = entries.FirstOrDefault(e => IsEntry(e.Meta, manager, Update, subresource));
        foreach (var e in entries)
        {
            if (ReferenceEquals(e, own)) continue;
            result.Add(e with { Fields = e.Fields.Intersect(newLeaves).Except(changed) });
        }
        if (!userSet || changed.Count > 0)
        {
            var mine = (own?.Fields.Intersect(newLeaves) ?? new FieldSet()).Union(changed);
            if (mine.Count > 0)
                result.Add(new Entry(NewMeta(manager, Update, subresource, changed.Count > 0 ? now : own?.Meta.Time ?? now), mine));
        }
        updated.Metadata.ManagedFields = Encode(result);
    }

    /// <summary>
    /// True when the write changes nothing but managedFields (a no-op patch or update): then no leaf changed, which
    /// otherwise takes two walks from the root per leaf. Leaves never lie under metadata.managedFields, and in equal
    /// trees every path is found (or not) alike with equal values — except a path whose names hold the path separator,
    /// which is never found and so counts as changed: such trees take the walk per leaf. Removes metadata.managedFields
    /// from both nodes (this class's own copies).
    /// </summary>
    private static bool SameApartFromManagedFields(JsonNode oldNode, JsonNode newNode)
    {
        if (oldNode is not JsonObject o || newNode is not JsonObject n) return false;
        (o["metadata"] as JsonObject)?.Remove("managedFields");
        (n["metadata"] as JsonObject)?.Remove("managedFields");
        return JsonNode.DeepEquals(o, n) && !FieldSet.AnyNameHoldsSeparator(n);
    }

    /// <summary>The outcome of a server-side apply: the merged object, or the conflicts that stopped it.</summary>
    public sealed record ApplyOutcome(JsonObject? Merged, IReadOnlyList<(string Path, string Manager)> Conflicts);

    /// <summary>
    /// Server-side apply of <paramref name="applied"/> by <paramref name="manager"/> onto <paramref name="live"/>
    /// (null when the object does not exist): conflicts are fields another manager owns whose value would change;
    /// with <paramref name="force"/> they change hands. Fields this manager applied before and no longer applies are
    /// removed unless someone else owns them.
    /// </summary>
    public static ApplyOutcome ApplyConfiguration(Cluster? live, JsonObject applied, string manager, bool force, string? subresource, DateTimeOffset now)
    {
        var liveNode = live is null ? new JsonObject() : (JsonObject)Node(live);
        var appliedSet = FieldSet.Leaves(applied, Shape);
        var entries = Decode(live?.Metadata.ManagedFields);

        var conflicts = new List<(string, string)>();
        foreach (var path in appliedSet.Paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            // A list item's identity cannot conflict; its fields can.
            if (FieldSet.IsItem(path) || !FieldNavigator.TryGet(liveNode, Shape, path, out var current)) continue;
            FieldNavigator.TryGet(applied, Shape, path, out var wanted);
            if (JsonNode.DeepEquals(current, wanted)) continue;
            foreach (var e in entries.Where(e => e.Meta.Manager != manager && e.Fields.Contains(path)))
                conflicts.Add((path, e.Meta.Manager ?? ""));
        }
        if (conflicts.Count > 0 && !force) return new ApplyOutcome(null, conflicts);

        var merged = (JsonObject)Merge(liveNode, applied, Shape)!;
        var own = entries.FirstOrDefault(e => IsEntry(e.Meta, manager, Apply, subresource));
        // Forcing moves only the conflicting fields; fields set to the same value stay shared.
        var taken = FieldSet.Of(conflicts.Select(c => c.Item1).ToArray());
        var others = entries.Where(e => !ReferenceEquals(e, own))
            .Select(e => e.Meta.Manager == manager ? e : e with { Fields = e.Fields.Except(taken) })
            .ToList();
        var ownedByOthers = others.Aggregate(new FieldSet(), (acc, e) => acc.Union(e.Fields));
        var dropped = (own?.Fields ?? new FieldSet()).Except(appliedSet).Except(ownedByOthers);
        // Deepest first, so removing an item does not shift the path of one still to remove.
        foreach (var path in dropped.Paths.OrderByDescending(p => p.Length)) FieldNavigator.Remove(merged, Shape, path);

        var result = others.Where(e => e.Fields.Count > 0).ToList();
        var meta = merged["metadata"] as JsonObject ?? new JsonObject();
        merged["metadata"] = meta;
        // Both trees are this call's own copies and the entries are rewritten below: compared without them in place.
        meta.Remove("managedFields");
        (liveNode["metadata"] as JsonObject)?.Remove("managedFields");
        // An apply that changes neither the object nor who owns what keeps its entry's time, so the stored object is
        // unchanged and the write is a no-op (same resourceVersion, no watch event), as in kube-apiserver.
        var unchanged = own is not null && taken.Count == 0 && own.Fields.SetEquals(appliedSet) && JsonNode.DeepEquals(merged, liveNode);
        result.Insert(0, new Entry(NewMeta(manager, Apply, subresource, unchanged ? own!.Meta.Time ?? now : now), appliedSet));
        meta["managedFields"] = JsonSerializer.SerializeToNode(Encode(result), ApiJson.Options);
        return new ApplyOutcome(merged, []);
    }

    /// <summary>The Conflict error kube-apiserver returns for apply conflicts.</summary>
    public static ApiStatusException ConflictError(IReadOnlyList<(string Path, string Manager)> conflicts)
    {
        var apiVersion = ClusterResource.Info.ApiVersion;
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with \"{conflicts[0].Manager}\" using {apiVersion}: {FieldSet.Render(conflicts[0].Path)}";
        }
        else
        {
            var byManager = conflicts.GroupBy(c => c.Manager);
            message = $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", byManager.Select(g =>
                $"conflicts with \"{g.Key}\" using {apiVersion}:\n" + string.Join("\n", g.Select(c => "- " + FieldSet.Render(c.Path)))));
        }
        return new ApiStatusException(409, "Conflict", message, new StatusDetails
        {
            Causes = conflicts.Select(c => new StatusCause
            {
                Reason = "FieldManagerConflict",
                Message = $"conflict with \"{c.Manager}\" using {apiVersion}",
                Field = FieldSet.Render(c.Path),
            }).ToList(),
        });
    }

    /// <summary>Merges an applied configuration into a live object: structs and maps recurse, keyed lists merge by key, sets union, the rest replaces.</summary>
    private static JsonNode? Merge(JsonNode? live, JsonNode? applied, TypeShape? shape)
    {
        switch (applied)
        {
            case JsonObject a when shape is { Kind: ShapeKind.Struct or ShapeKind.Map }:
            {
                var result = live is JsonObject l ? (JsonObject)l.DeepClone() : new JsonObject();
                foreach (var (name, value) in a) result[name] = Merge(result[name], value, shape.Child(name));
                return result;
            }
            case JsonArray a when shape is { Kind: ShapeKind.MapList }:
            {
                var result = live is JsonArray l ? (JsonArray)l.DeepClone() : new JsonArray();
                foreach (var item in a)
                {
                    var index = shape.IndexOf(result, shape.KeyOf(item));
                    if (index >= 0) result[index] = Merge(result[index], item, shape.Item);
                    else result.Add(item?.DeepClone());
                }
                return result;
            }
            case JsonArray a when shape is { Kind: ShapeKind.SetList }:
            {
                var result = live is JsonArray l ? (JsonArray)l.DeepClone() : new JsonArray();
                foreach (var v in a) if (!result.Any(r => JsonNode.DeepEquals(r, v))) result.Add(v?.DeepClone());
                return result;
            }
            default:
                return applied?.DeepClone();
        }
    }

    private static bool IsEntry(ManagedFieldsEntry e, string manager, string operation, string? subresource) =>
        e.Manager == manager && e.Operation == operation && (e.Subresource ?? "") == (subresource ?? "");

    private static ManagedFieldsEntry NewMeta(string manager, string operation, string? subresource, DateTimeOffset? time) => new()
    {
        Manager = manager,
        Operation = operation,
        ApiVersion = ClusterResource.Info.ApiVersion,
        Time = time,
        FieldsType = "FieldsV1",
        Subresource = string.IsNullOrEmpty(subresource) ? null : subresource,
    };

    private static List<ManagedFieldsEntry>? Encode(List<Entry> entries)
    {
        var list = entries.Where(e => e.Fields.Count > 0).Select(e =>
        {
            var m = e.Meta.Clone();
            m.FieldsV1 = e.Fields.ToFieldsV1();
            return m;
        }).ToList();
        return list.Count == 0 ? null : list;
    }
}
