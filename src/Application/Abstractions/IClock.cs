namespace ClusterRegistry.Application.Abstractions;

/// <summary>The time source for server-set timestamps; replaceable in tests.</summary>
public interface IClock
{
    /// <summary>Now, in UTC.</summary>
    DateTimeOffset UtcNow { get; }
}

/// <summary>The system clock, truncated to whole seconds as metav1.Time is.</summary>
public sealed class SystemClock : IClock
{
    public DateTimeOffset UtcNow
    {
        get
        {
            var now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        }
    }
}
