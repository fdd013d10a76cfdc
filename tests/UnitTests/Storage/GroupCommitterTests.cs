using ClusterRegistry.Infrastructure.Storage;

namespace ClusterRegistry.Tests.UnitTests.Storage;

/// <summary>
/// The group-commit queue's own rules, with a commit that the test holds: a write cancelled before the committer took it
/// is dropped, a group never holds more than <see cref="GroupCommitter{TWrite}.MaxGroup"/> writes, and a failing
/// commit fails each write of its group.
/// </summary>
public sealed class GroupCommitterTests
{
    /// <summary>A commit that records each group and answers each write with its number; the first group waits for <see cref="Release"/>.</summary>
    private sealed class HeldCommit
    {
        private readonly TaskCompletionSource _firstTaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<int[]> _groups = [];

        public Exception? Failure { get; init; }

        public List<int[]> Groups => _groups;

        /// <summary>Completes once the first group is inside the commit: later writes queue behind it.</summary>
        public Task FirstTaken => _firstTaken.Task;

        public void Release() => _release.TrySetResult();

        public async Task CommitAsync(IReadOnlyList<GroupCommitter<int>.Pending> group)
        {
            _groups.Add(group.Select(p => p.Write).ToArray());
            if (_groups.Count == 1)
            {
                _firstTaken.TrySetResult();
                await _release.Task;
            }
            if (Failure is not null) throw Failure;
            foreach (var pending in group) pending.Complete(pending.Write);
        }
    }

    [Fact]
    public async Task WriteCancelledBeforeTaken_IsDroppedAndAnsweredCancelled()
    {
        var commit = new HeldCommit();
        var queue = new GroupCommitter<int>(commit.CommitAsync);
        var first = queue.WriteAsync(0, CancellationToken.None).AsTask();
        await commit.FirstTaken;
        using var giveUp = new CancellationTokenSource();
        var cancelled = queue.WriteAsync(1, giveUp.Token).AsTask();
        var kept = queue.WriteAsync(2, CancellationToken.None).AsTask();
        await giveUp.CancelAsync();
        commit.Release();

        Assert.Equal(0, await first);
        Assert.Equal(2, await kept);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await queue.StopAsync();
        Assert.DoesNotContain(commit.Groups, g => g.Contains(1));
    }

    [Fact]
    public async Task WritesQueuedBehindACommit_AreTakenInGroupsOfAtMostMaxGroup()
    {
        const int Queued = GroupCommitter<int>.MaxGroup + 44;
        var commit = new HeldCommit();
        var queue = new GroupCommitter<int>(commit.CommitAsync);
        var first = queue.WriteAsync(-1, CancellationToken.None).AsTask();
        await commit.FirstTaken;
        var writes = Enumerable.Range(0, Queued).Select(i => queue.WriteAsync(i, CancellationToken.None).AsTask()).ToArray();
        commit.Release();

        Assert.Equal(-1, await first);
        Assert.Equal(Enumerable.Range(0, Queued).Select(i => (long)i), await Task.WhenAll(writes));
        await queue.StopAsync();
        // All were queued before the first commit ended, so the second group is full and the rest follow in order.
        Assert.Equal([1, GroupCommitter<int>.MaxGroup, 44], commit.Groups.Select(g => g.Length));
        Assert.Equal(Enumerable.Range(0, Queued), commit.Groups.Skip(1).SelectMany(g => g));
    }

    [Fact]
    public async Task FailingCommit_FailsEachWriteOfItsGroup()
    {
        var failure = new IOException("disk full");
        var commit = new HeldCommit { Failure = failure };
        var queue = new GroupCommitter<int>(commit.CommitAsync);
        var first = queue.WriteAsync(0, CancellationToken.None).AsTask();
        await commit.FirstTaken;
        var writes = Enumerable.Range(1, 5).Select(i => queue.WriteAsync(i, CancellationToken.None).AsTask()).ToArray();
        commit.Release();

        foreach (var write in writes.Prepend(first))
            Assert.Same(failure, await Assert.ThrowsAsync<IOException>(() => write));
        await queue.StopAsync();
        Assert.Equal(2, commit.Groups.Count);
    }

    [Fact]
    public async Task Stopped_RefusesNewWrites()
    {
        var queue = new GroupCommitter<int>(group =>
        {
            foreach (var pending in group) pending.Complete(pending.Write);
            return Task.CompletedTask;
        });
        Assert.Equal(7, await queue.WriteAsync(7, CancellationToken.None));
        await queue.StopAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queue.WriteAsync(8, CancellationToken.None).AsTask());
    }
}
