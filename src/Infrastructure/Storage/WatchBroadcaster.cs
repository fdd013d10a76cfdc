using System.Threading.Channels;
using ClusterRegistry.Application.Abstractions;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// Fans committed events out to watchers. Publishing never blocks: each watcher has a bounded buffer, and a watcher
/// whose buffer is full is cut loose (its channel completes with <see cref="Subscription.Overflowed"/> set) so that it catches
/// up from the stored history instead of stalling the writer or the other watchers.
/// </summary>
public sealed class WatchBroadcaster
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscribers = [];
    private readonly int _capacity;

    public WatchBroadcaster(int capacity = 1024) => _capacity = capacity;

    public int Count
    {
        get { lock (_gate) return _subscribers.Count; }
    }

    public Subscription Subscribe()
    {
        var s = new Subscription(this, Channel.CreateBounded<StorageEvent>(new BoundedChannelOptions(_capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        }));
        lock (_gate) _subscribers.Add(s);
        return s;
    }

    /// <summary>Delivers <paramref name="e"/> to every subscriber; called in revision order.</summary>
    public void Publish(StorageEvent e)
    {
        lock (_gate)
        {
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                var s = _subscribers[i];
                if (s.Channel.Writer.TryWrite(e)) continue;
                s.Overflowed = true;
                s.Channel.Writer.TryComplete();
                _subscribers.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Cuts every subscriber loose as if its buffer had overflowed (<see cref="Subscription.Overflowed"/>): each goes
    /// back to the stored history, which either has what it missed or tells it that history is gone.
    /// </summary>
    public void CutAll()
    {
        lock (_gate)
        {
            foreach (var s in _subscribers)
            {
                s.Overflowed = true;
                s.Channel.Writer.TryComplete();
            }
            _subscribers.Clear();
        }
    }

    /// <summary>Ends every subscription (shutdown).</summary>
    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (var s in _subscribers) s.Channel.Writer.TryComplete();
            _subscribers.Clear();
        }
    }

    private void Remove(Subscription s)
    {
        lock (_gate) _subscribers.Remove(s);
    }

    /// <summary>One watcher's buffer.</summary>
    public sealed class Subscription(WatchBroadcaster owner, Channel<StorageEvent> channel) : IDisposable
    {
        internal Channel<StorageEvent> Channel { get; } = channel;
        public ChannelReader<StorageEvent> Reader => Channel.Reader;
        /// <summary>True when the buffer filled up and the subscription was dropped.</summary>
        public bool Overflowed
        {
            get => _overflowed;
            set => _overflowed = value;
        }

        private volatile bool _overflowed;
        public void Dispose() => owner.Remove(this);
    }
}
