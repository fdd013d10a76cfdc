namespace ClusterRegistry.Domain.Schema;

/// <summary>
/// Marks a list whose items are identified by key fields (<c>x-kubernetes-list-type: map</c>): strategic merge
/// patch merges it item by item and server-side apply tracks ownership per item.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListMapKeysAttribute(params string[] keys) : Attribute
{
    public IReadOnlyList<string> Keys { get; } = keys;
}

/// <summary>The OpenAPI <c>format</c> of a string field (e.g. <c>cidr</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SchemaFormatAttribute(string format) : Attribute
{
    public string Format { get; } = format;
}

/// <summary>The field is required in the published schema.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SchemaRequiredAttribute : Attribute;

/// <summary>A list of scalars treated as a set (<c>x-kubernetes-list-type: set</c>, patch strategy merge).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ListSetAttribute : Attribute;
