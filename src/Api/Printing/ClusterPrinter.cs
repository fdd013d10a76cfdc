using System.Text.Json;
using ClusterRegistry.Domain.Clusters;
using ClusterRegistry.Domain.Meta;

namespace ClusterRegistry.Api.Printing;

/// <summary>The Table columns of <c>kubectl get clusters</c> (NAME, SERVER, CIDR, AGE; wide adds READY, ENDPOINTS).</summary>
public static class ClusterPrinter
{
    public static readonly List<TableColumnDefinition> Columns =
    [
        new("Name", "string", "name", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", 0),
        new("Server", "string", "", "The address of the cluster's API server for the first client CIDR (spec.kubernetesApiEndpoints.serverEndpoints[0].serverAddress).", 0),
        new("CIDR", "string", "", "The client CIDR of the first server endpoint (spec.kubernetesApiEndpoints.serverEndpoints[0].clientCIDR).", 0),
        new("Age", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.", 0),
        new("Ready", "string", "", "The status of the Ready condition, if reported.", 1),
        new("Endpoints", "string", "", "Further server endpoints, as clientCIDR=serverAddress.", 1),
    ];

    public static List<object?> Cells(Cluster c, DateTimeOffset now)
    {
        var endpoints = c.Spec?.KubernetesApiEndpoints?.ServerEndpoints ?? [];
        var first = endpoints.Count > 0 ? endpoints[0] : null;
        var ready = c.Status?.Conditions?.FirstOrDefault(x => x?.Type == "Ready")?.Status ?? "";
        var more = string.Join(",", endpoints.Skip(1).Where(e => e is not null).Select(e => $"{e.ClientCidr}={e.ServerAddress}"));
        var age = c.Metadata.CreationTimestamp is { } t ? HumanDuration.Format(now - t) : "<unknown>";
        return [c.Metadata.Name ?? "", first?.ServerAddress ?? "", first?.ClientCidr ?? "", age, ready, more];
    }

    /// <summary>A Table of <paramref name="clusters"/>, its rows computed from the (shared, decoded) objects.</summary>
    public static Table ToTable(IEnumerable<Cluster> clusters, ListMeta meta, string includeObject, bool withColumns, DateTimeOffset now,
        string apiVersion = "meta.k8s.io/v1")
    {
        var table = new Table
        {
            ApiVersion = apiVersion,
            Metadata = new ListMeta { ResourceVersion = meta.ResourceVersion, Continue = meta.Continue, RemainingItemCount = meta.RemainingItemCount },
            ColumnDefinitions = withColumns ? Columns : null,
        };
        foreach (var c in clusters) table.Rows.Add(Row(c, includeObject, now));
        return table;
    }

    /// <summary>The row of one cluster: its cells and, as includeObject asks, its metadata or the whole object.</summary>
    public static TableRow Row(Cluster c, string includeObject, DateTimeOffset now) => new()
    {
        Cells = Cells(c, now),
        Object = includeObject switch
        {
            "None" => null,
            "Object" => JsonSerializer.SerializeToNode(c, ApiJson.Options),
            _ => JsonSerializer.SerializeToNode(Partial(c), ApiJson.Options),
        },
    };

    public static PartialObjectMetadata Partial(IApiObject o, string apiVersion = "meta.k8s.io/v1") => new() { Metadata = o.Metadata, ApiVersion = apiVersion };
}
