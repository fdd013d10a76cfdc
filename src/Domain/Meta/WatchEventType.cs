namespace ClusterRegistry.Domain.Meta;

/// <summary>The event types of a watch stream, spelled as on the wire.</summary>
public static class WatchEventType
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";
}
