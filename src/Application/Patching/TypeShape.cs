using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using ClusterRegistry.Domain.Meta;
using ClusterRegistry.Domain.Schema;

namespace ClusterRegistry.Application.Patching;

/// <summary>How a JSON value of a given type merges: a struct, a string map, a keyed list, a set, or atomic.</summary>
public enum ShapeKind
{
    Atomic,
    Struct,
    Map,
    MapList,
    SetList,
}

/// <summary>
/// The merge shape of a wire type, read from the serializer's metadata and the schema attributes
/// (<see cref="ListMapKeysAttribute"/>, <see cref="ListSetAttribute"/>): the structural schema that strategic merge
/// patch and server-side apply need.
/// </summary>
public sealed class TypeShape
{
    private static readonly ConcurrentDictionary<(Type, string?), TypeShape> Cache = new();

    private TypeShape(ShapeKind kind, Type type, IReadOnlyList<string> keys)
    {
        Kind = kind;
        Type = type;
        Keys = keys;
        _distinctKeys = keys.Distinct(StringComparer.Ordinal).Count();
    }

    // Field management asks for the same children for every leaf of every write: looked up once per shape.
    // Struct fields only (a known, bounded set); a map's keys come from requests and all share one child.
    private IReadOnlyDictionary<string, TypeShape>? _fields;
    private TypeShape? _element;
    private readonly int _distinctKeys;

    public ShapeKind Kind { get; }
    public Type Type { get; }
    /// <summary>The key fields of a <see cref="ShapeKind.MapList"/>.</summary>
    public IReadOnlyList<string> Keys { get; }

    public static TypeShape Of(Type type) => Of(type, null);

    private static TypeShape Of(Type type, MemberInfo? member) =>
        Cache.GetOrAdd((type, member is null ? null : member.DeclaringType + "." + member.Name), _ => Build(type, member));

    private static TypeShape Build(Type type, MemberInfo? member)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(JsonObject) || type == typeof(JsonNode) || type == typeof(byte[]) || type == typeof(string))
            return new TypeShape(ShapeKind.Atomic, type, []);
        var info = ApiJson.Options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                return new TypeShape(ShapeKind.Struct, type, []);
            case JsonTypeInfoKind.Dictionary:
                return new TypeShape(ShapeKind.Map, type, []);
            case JsonTypeInfoKind.Enumerable:
                if (member?.GetCustomAttribute<ListMapKeysAttribute>() is { } keys) return new TypeShape(ShapeKind.MapList, type, keys.Keys);
                if (member?.GetCustomAttribute<ListSetAttribute>() is not null) return new TypeShape(ShapeKind.SetList, type, []);
                return new TypeShape(ShapeKind.Atomic, type, []);
            default:
                return new TypeShape(ShapeKind.Atomic, type, []);
        }
    }

    /// <summary>The shape of a struct field, a map value or a list item; null for an unknown struct field.</summary>
    public TypeShape? Child(string name)
    {
        switch (Kind)
        {
            case ShapeKind.Struct:
                return (_fields ??= Fields()).GetValueOrDefault(name);
            case ShapeKind.Map:
                return Element;
            default:
                return null;
        }
    }

    private Dictionary<string, TypeShape> Fields()
    {
        // The first property of a name wins, as the lookup by name did.
        var fields = new Dictionary<string, TypeShape>(StringComparer.Ordinal);
        foreach (var p in ApiJson.Options.GetTypeInfo(Type).Properties)
            fields.TryAdd(p.Name, Of(p.PropertyType, p.AttributeProvider as MemberInfo));
        return fields;
    }

    private TypeShape Element => _element ??= Of(ApiJson.Options.GetTypeInfo(Type).ElementType!);

    /// <summary>The shape of the items of a list.</summary>
    public TypeShape Item => Element;

    /// <summary>The key of a map-list item: its key fields in key order (missing keys read as null).</summary>
    public JsonObject KeyOf(JsonNode? item)
    {
        var key = new JsonObject();
        foreach (var k in Keys) key[k] = (item as JsonObject)?[k]?.DeepClone();
        return key;
    }

    /// <summary>The index of the first item whose <see cref="KeyOf"/> deep-equals <paramref name="key"/>; -1 if none.</summary>
    public int IndexOf(JsonArray list, JsonObject key)
    {
        // KeyOf(item) has one property per distinct key name, so a key with another count matches no item; otherwise
        // the items' key fields are compared in place instead of cloned into a key object per item.
        if (key.Count != _distinctKeys) return -1;
        for (var i = 0; i < list.Count; i++)
            if (KeyMatches(list[i] as JsonObject, key)) return i;
        return -1;
    }

    private bool KeyMatches(JsonObject? item, JsonObject key)
    {
        foreach (var k in Keys)
            if (!JsonNode.DeepEquals(item?[k], key[k])) return false;
        return true;
    }
}
