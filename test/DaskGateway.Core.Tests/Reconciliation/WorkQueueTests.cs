using DaskGateway.Reconciliation;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Reconciliation;

public sealed class WorkQueueTests : IDisposable
{
    private readonly TimerCountingTimeProvider _time = new();
    private readonly WorkQueue<string> _queue;

    public WorkQueueTests()
    {
        _queue = new WorkQueue<string>(_time);
    }

    public void Dispose() => _queue.Dispose();

    [Fact]
    public async Task Enqueue_MergesDuplicatesWhileQueued()
    {
        _queue.Enqueue("a");
        _queue.Enqueue("b");
        _queue.Enqueue("a");
        _queue.Enqueue("b");

        Assert.Equal(2, _queue.Count);
        Assert.Equal("a", await Within(Take()));
        Assert.Equal("b", await Within(Take()));
        Assert.Equal(0, _queue.Count);
        Assert.False(Take().IsCompleted);
    }

    [Fact]
    public async Task DequeueAsync_TakesReadyKeysInFifoOrder()
    {
        var keys = Enumerable.Range(0, 100).Select(i => $"k{i}").ToList();
        foreach (var key in keys)
        {
            _queue.Enqueue(key);
        }

        var taken = new List<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            taken.Add(await Within(Take()));
        }

        Assert.Equal(keys, taken);
    }

    [Fact]
    public async Task DequeueAsync_WaitsForAKeyAndHandsItToTheFirstWaiter()
    {
        var first = Take();
        var second = Take();
        Assert.False(first.IsCompleted);

        _queue.Enqueue("a");

        Assert.Equal("a", await Within(first));
        Assert.False(second.IsCompleted);
        _queue.Enqueue("b");
        Assert.Equal("b", await Within(second));
    }

    [Fact]
    public async Task Enqueue_WhileProcessing_IsRequeuedExactlyOnceAfterDone()
    {
        _queue.Enqueue("a");
        Assert.Equal("a", await Within(Take()));

        _queue.Enqueue("a");
        _queue.Enqueue("a");
        _queue.Enqueue("a");
        var waiting = Take();

        // Never handed to a second consumer while the first one processes it.
        Assert.Equal(0, _queue.Count);
        Assert.False(waiting.IsCompleted);

        _queue.Done("a");

        Assert.Equal("a", await Within(waiting));
        var next = Take();
        _queue.Done("a");
        Assert.False(next.IsCompleted);
        Assert.Equal(0, _queue.Count);
    }

    [Fact]
    public async Task Enqueue_WhileProcessing_LetsOtherKeysPass()
    {
        _queue.Enqueue("a");
        Assert.Equal("a", await Within(Take()));
        var waiting = Take();

        _queue.Enqueue("a");
        _queue.Enqueue("b");

        Assert.Equal("b", await Within(waiting));
    }

    [Fact]
    public async Task Done_WithoutAPutMeanwhile_DoesNotRequeue()
    {
        _queue.Enqueue("a");
        await Within(Take());

        _queue.Done("a");

        Assert.Equal(0, _queue.Count);
        Assert.False(Take().IsCompleted);
    }

    [Fact]
    public async Task EnqueueAfter_PutsTheKeyWhenTheClockPassesItsDueTime()
    {
        var waiting = Take();

        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromMilliseconds(1));

        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, _queue.ScheduledCount);

        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("a", await Within(waiting));
        Assert.Equal(0, _queue.ScheduledCount);
    }

    [Fact]
    public void EnqueueAfter_KeepsAKeyDueJustAfterAnotherUntilItsOwnTime()
    {
        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(1));
        _queue.EnqueueAfter("b", TimeSpan.FromSeconds(1) + TimeSpan.FromTicks(1));

        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, _queue.Count);
        Assert.Equal(1, _queue.ScheduledCount);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _queue.Count);
    }

    [Fact]
    public async Task EnqueueAfter_KeepsTheEarliestSchedule()
    {
        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(10));
        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(2));
        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _queue.Count);

        Assert.Equal("a", await Within(Take()));
        _queue.Done("a");
        _time.Advance(TimeSpan.FromSeconds(20));

        // The later schedules were dropped, not kept as well.
        Assert.Equal(0, _queue.Count);
        Assert.Equal(0, _queue.ScheduledCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public void EnqueueAfter_WithoutAPositiveDelay_PutsAtOnce(int milliseconds)
    {
        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(30));

        _queue.EnqueueAfter("a", TimeSpan.FromMilliseconds(milliseconds));

        Assert.Equal(1, _queue.Count);
        Assert.Equal(0, _queue.ScheduledCount);
    }

    [Fact]
    public async Task EnqueueAfter_WhileProcessing_IsRequeuedOnDone()
    {
        _queue.Enqueue("a");
        await Within(Take());

        _queue.EnqueueAfter("a", TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(0, _queue.Count);
        _queue.Done("a");
        Assert.Equal(1, _queue.Count);
    }

    [Fact]
    public async Task EnqueueAfter_FiresKeysInDueOrder_WithOneTimer()
    {
        const int Keys = 10_000;
        for (var i = 0; i < Keys; i++)
        {
            // Due times fall as i grows; pairs share a due time and keep their scheduling order.
            _queue.EnqueueAfter($"k{i}", TimeSpan.FromMilliseconds(1 + ((Keys - 1 - i) / 2)));
        }

        Assert.Equal(Keys, _queue.ScheduledCount);
        _time.Advance(TimeSpan.FromMilliseconds(Keys));

        var taken = new List<string>();
        for (var i = 0; i < Keys; i++)
        {
            taken.Add(await Within(Take()));
        }

        var expected = Enumerable.Range(0, Keys).OrderBy(i => (Keys - 1 - i) / 2).ThenBy(i => i).Select(i => $"k{i}");
        Assert.Equal(expected, taken);
        Assert.Equal(1, _time.TimersCreated);
    }

    [Fact]
    public async Task EnqueueBackoff_GrowsTheDelayUntilReset()
    {
        foreach (var milliseconds in new[] { 100, 200, 400, 800 })
        {
            Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), _queue.EnqueueBackoff("a"));
            await AssertFiresAfter(TimeSpan.FromMilliseconds(milliseconds));
        }

        Assert.Equal(4, _queue.Failures("a"));
        _queue.ResetBackoff("a");
        Assert.Equal(0, _queue.Failures("a"));

        _queue.EnqueueBackoff("a");
        await AssertFiresAfter(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Close_FailsWaitingAndLaterDequeues()
    {
        var waiting = Take();

        _queue.Close();

        Assert.True(_queue.IsClosed);
        await Assert.ThrowsAsync<WorkQueueClosedException>(() => Within(waiting));
        await Assert.ThrowsAsync<WorkQueueClosedException>(() => Within(Take()));
    }

    [Fact]
    public async Task Close_DropsQueuedAndScheduledKeys()
    {
        _queue.Enqueue("a");
        _queue.EnqueueAfter("b", TimeSpan.FromSeconds(1));

        _queue.Close();
        _queue.Enqueue("c");
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(0, _queue.Count);
        Assert.Equal(0, _queue.ScheduledCount);
        await Assert.ThrowsAsync<WorkQueueClosedException>(() => Within(Take()));
    }

    [Fact]
    public async Task DequeueAsync_WhenCancelled_TakesNoKey()
    {
        using var cancellation = new CancellationTokenSource();
        var waiting = _queue.DequeueAsync(cancellation.Token).AsTask();

        await cancellation.CancelAsync();
        _queue.Enqueue("a");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Within(waiting));
        Assert.Equal(1, _queue.Count);
        Assert.Equal("a", await Within(Take()));
    }

    private async Task AssertFiresAfter(TimeSpan delay)
    {
        _time.Advance(delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _queue.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _queue.Count);
        _queue.Done(await Within(Take()));
    }

    private Task<string> Take() => _queue.DequeueAsync(TestContext.Current.CancellationToken).AsTask();

    private static Task<T> Within<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

    private sealed class TimerCountingTimeProvider : FakeTimeProvider
    {
        public int TimersCreated { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            TimersCreated++;
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
