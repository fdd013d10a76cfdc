namespace ClusterRegistry.Api;

/// <summary>Source-generated log messages for the server's hot and exceptional paths.</summary>
public static partial class ApiServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled error serving {Method} {Path}")]
    public static partial void UnhandledError(ILogger logger, Exception e, string method, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Serving securely on https://{Address}")]
    public static partial void Serving(ILogger logger, string address);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Forcing watch close due to unresponsiveness: more than {Buffered} events waiting for client {Client}")]
    public static partial void WatchUnresponsive(ILogger logger, int buffered, string client);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Returned memory to the OS after {Why}: resident {Before} MiB -> {After} MiB")]
    public static partial void MemoryReturned(ILogger logger, string why, long before, long after);
}
