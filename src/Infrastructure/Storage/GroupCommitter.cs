using System.Threading.Channels;

namespace ClusterRegistry.Infrastructure.Storage;

/// <summary>
/// The queue and committer loop of group commit (ADR-017, ADR-024), shared by the embedded and PostgreSQL stores: writes queue up
/// while the previous group is being committed, and one committer takes the next group (at most
/// <see cref="MaxGroup"/>) and hands it to the store's own commit, which answers each write with its revision or its error.
/// </summary>
/// <remarks>
/// A write whose caller gave up before the committer took it is dropped (answered as cancelled), so it is never applied
/// behind the caller's back; once taken, it runs to its answer. Every write of a group is answered: a commit that throws
/// fails each write it had not answered with that exception, and one that returns without answering a write fails it,
/// so no caller waits forever. The queue is bounded: when it is full, writers wait for room (their cancellation
/// still applies), so a store that stalls holds back its callers instead of queueing without limit.
/// </remarks>
/// <typeparam name="TWrite">What a store needs to commit one write.</typeparam>
public sealed class GroupCommitter<TWrite>
{
    /// <summary>At most this many writes share a transaction, so one group's latency stays bounded.</summary>
    public const int MaxGroup = 256;

    /// <summary>Writes that may wait for the committer: a few groups, so a busy committer always finds a full group.</summary>
    public const int DefaultCapacity = 4 * MaxGroup;

    private readonly Channel<Pending> _queue;
    private readonly Func<IReadOnlyList<Pending>, Task> _commitGroup;
    private readonly Task _committer;

    /// <param name="commitGroup">Commits one group and answers each of its writes (<see cref="Pending.Complete"/>,
    /// <see cref="Pending.Fail"/>). Never called concurrently with itself.</param>
    /// <param name="capacity">How many writes may wait before writers wait for room.</param>
    public GroupCommitter(Func<IReadOnlyList<Pending>, Task> commitGroup, int capacity = DefaultCapacity)
    {
        _commitGroup = commitGroup;
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>One queued write and its answer.</summary>
    public sealed class Pending(TWrite write, CancellationToken cancellation)
    {
        private readonly TaskCompletionSource<long> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TWrite Write { get; } = write;

        internal CancellationToken Cancellation { get; } = cancellation;

        internal Task<long> Answer => _done.Task;

        /// <summary>The write committed at <paramref name="revision"/>.</summary>
        public void Complete(long revision) => _done.TrySetResult(revision);

        /// <summary>The write was refused or its group failed; the caller gets <paramref name="error"/>.</summary>
        public void Fail(Exception error) => _done.TrySetException(error);

        internal void Cancel() => _done.TrySetCanceled(Cancellation);
    }

    /// <summary>Queues <paramref name="write"/> and returns its revision once its group committed.</summary>
    /// <exception cref="ObjectDisposedException">The committer was stopped.</exception>
    public async ValueTask<long> WriteAsync(TWrite write, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var pending = new Pending(write, ct);
        if (!_queue.Writer.TryWrite(pending))
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, ct);
            }
            catch (ChannelClosedException e)
            {
                throw new ObjectDisposedException(nameof(GroupCommitter<TWrite>), e);
            }
        }
        return await pending.Answer;
    }

    /// <summary>Takes no more writes and waits until the ones queued have been committed or failed.</summary>
    public Task StopAsync()
    {
        _queue.Writer.TryComplete();
        return _committer;
    }

    private async Task CommitLoopAsync()
    {
        var group = new List<Pending>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var pending))
            {
                if (pending.Cancellation.IsCancellationRequested) pending.Cancel();
                else group.Add(pending);
            }
            if (group.Count == 0) continue;
            try
            {
                await _commitGroup(group);
                // Only a write the commit forgot is still open (the others ignore a second answer).
                foreach (var pending in group)
                    pending.Fail(new InvalidOperationException("The group commit returned without answering this write."));
            }
            catch (Exception e)
            {
                foreach (var pending in group) pending.Fail(e);
            }
            finally
            {
                group.Clear();
            }
        }
    }
}
