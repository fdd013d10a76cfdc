namespace ClusterRegistry.Application.Abstractions;

/// <summary>A request on the served resource: the attributes the authorizer decides on.</summary>
public interface IResourceRequest
{
    /// <summary>The Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection.</summary>
    string Verb { get; }

    /// <summary>The object name, when the request addresses one object.</summary>
    string? Name { get; }

    /// <summary>The subresource (<c>status</c>), or null.</summary>
    string? Subresource { get; }
}

/// <summary>A request whose options are validated as a metav1 options kind (<c>CreateOptions</c>, <c>ListOptions</c>…).</summary>
public interface IOptionsRequest
{
    /// <summary>The options kind named in Invalid errors, e.g. <c>ListOptions</c>.</summary>
    string OptionsKind { get; }
}
