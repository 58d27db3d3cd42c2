using System.Threading.Channels;
using DaskGateway.Reconciliation;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Reconciliation;

public sealed class ReconcilerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly ChannelLogger _logger = new();

    [Fact]
    public async Task FailedHandler_IsRetriedWithBackoff_AndSuccessResetsTheBackoff()
    {
        using var queue = new WorkQueue<string>(_time);
        var attempts = Channel.CreateUnbounded<int>();
        var count = 0;
        using var reconciler = new Reconciler<string>(
            queue,
            (key, _) =>
            {
                var attempt = Interlocked.Increment(ref count);
                attempts.Writer.TryWrite(attempt);
                return attempt is <= 3 or 5 ? throw new InvalidOperationException($"attempt {attempt}") : Task.CompletedTask;
            },
            parallelism: 4,
            _logger);
        await reconciler.StartAsync();

        queue.Enqueue("a");

        foreach (var (attempt, milliseconds) in new[] { (1, 100), (2, 200), (3, 400) })
        {
            Assert.Equal(attempt, await NextAsync(attempts));
            var entry = await _logger.NextAsync();
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Equal(1600, entry.EventId.Id);
            Assert.Equal("a", entry.Values["Key"]);
            Assert.Equal($"attempt {attempt}", entry.Exception?.Message);
            Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), entry.Values["RetryDelay"]);

            // The retry waits for the clock.
            _time.Advance(TimeSpan.FromMilliseconds(milliseconds - 1));
            Assert.Equal(1, queue.ScheduledCount);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(4, await NextAsync(attempts));
        queue.Enqueue("a");
        Assert.Equal(5, await NextAsync(attempts));

        var afterSuccess = await _logger.NextAsync();
        Assert.Equal(TimeSpan.FromMilliseconds(100), afterSuccess.Values["RetryDelay"]);
        await StopWithinTimeoutAsync(reconciler);
    }

    [Fact]
    public async Task TwentyConsumers_NeverRunOneKeyConcurrently()
    {
        const int Keys = 100;
        const int RunsPerKey = 20;
        var inFlight = new int[Keys];
        var runs = new int[Keys];
        var overlaps = 0;
        var keysDone = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var queue = new WorkQueue<int>(_time);
        using var reconciler = new Reconciler<int>(
            queue,
            async (key, _) =>
            {
                if (Interlocked.Increment(ref inFlight[key]) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                // Put while processing: it must wait for this run to be done.
                queue.Enqueue(key);
                await Task.Delay(1, TestContext.Current.CancellationToken);
                Interlocked.Decrement(ref inFlight[key]);
                if (Interlocked.Increment(ref runs[key]) == RunsPerKey && Interlocked.Increment(ref keysDone) == Keys)
                {
                    allDone.SetResult();
                }
            },
            parallelism: 20,
            _logger);
        await reconciler.StartAsync();

        await Parallel.ForAsync(0, 4, TestContext.Current.CancellationToken, (_, _) =>
        {
            for (var key = 0; key < Keys; key++)
            {
                queue.Enqueue(key);
            }

            return ValueTask.CompletedTask;
        });
        await allDone.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await StopWithinTimeoutAsync(reconciler);

        Assert.Equal(0, overlaps);
        Assert.All(inFlight, count => Assert.Equal(0, count));
    }

    [Fact]
    public async Task Consumers_RunUpToParallelismHandlersAtOnce()
    {
        using var queue = new WorkQueue<int>(_time);
        var started = Channel.CreateUnbounded<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reconciler = new Reconciler<int>(
            queue,
            async (key, cancellationToken) =>
            {
                started.Writer.TryWrite(key);
                await gate.Task.WaitAsync(Timeout, cancellationToken);
            },
            parallelism: 20,
            _logger);
        for (var key = 0; key < 30; key++)
        {
            queue.Enqueue(key);
        }

        await reconciler.StartAsync();
        var first = new HashSet<int>();
        for (var i = 0; i < 20; i++)
        {
            first.Add(await NextAsync(started));
        }

        Assert.Equal(20, first.Count);
        Assert.Equal(10, queue.Count);
        Assert.False(started.Reader.TryRead(out _));

        gate.SetResult();
        for (var i = 0; i < 10; i++)
        {
            Assert.DoesNotContain(await NextAsync(started), first);
        }

        await StopWithinTimeoutAsync(reconciler);
    }

    [Fact]
    public async Task StopAsync_WaitsForHandlersInFlight()
    {
        using var queue = new WorkQueue<string>(_time);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = false;
        using var reconciler = new Reconciler<string>(
            queue,
            async (_, cancellationToken) =>
            {
                started.SetResult();
                await gate.Task.WaitAsync(Timeout, cancellationToken);
                finished = true;
            },
            parallelism: 3,
            _logger);
        await reconciler.StartAsync();
        queue.Enqueue("a");
        await started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var stopping = reconciler.StopAsync(TestContext.Current.CancellationToken);

        Assert.True(queue.IsClosed);
        Assert.False(stopping.IsCompleted);
        gate.SetResult();
        await stopping.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(finished);
    }

    [Fact]
    public async Task StopAsync_WhenItsTokenFires_CancelsTheHandlersAndReturns()
    {
        using var queue = new WorkQueue<string>(_time);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reconciler = new Reconciler<string>(
            queue,
            async (_, cancellationToken) =>
            {
                started.SetResult();
                try
                {
                    await Task.Delay(Timeout, cancellationToken);
                }
                finally
                {
                    cancelled.SetResult(cancellationToken.IsCancellationRequested);
                }
            },
            parallelism: 2,
            _logger);
        await reconciler.StartAsync();
        queue.Enqueue("a");
        await started.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        using var giveUp = new CancellationTokenSource();

        var stopping = reconciler.StopAsync(giveUp.Token);
        Assert.False(stopping.IsCompleted);
        await giveUp.CancelAsync();

        await stopping.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.True(await cancelled.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken));

        // Stopping again waits for every consumer; an abandoned handler is not a failure to report.
        await StopWithinTimeoutAsync(reconciler);
        Assert.False(_logger.Entries.TryRead(out _));
        Assert.Equal(0, queue.ScheduledCount);
    }

    [Fact]
    public async Task StartAsync_Twice_Throws()
    {
        using var queue = new WorkQueue<string>(_time);
        using var reconciler = new Reconciler<string>(queue, (_, _) => Task.CompletedTask, parallelism: 1, _logger);
        await reconciler.StartAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(reconciler.StartAsync);
        await StopWithinTimeoutAsync(reconciler);
    }

    private static Task StopWithinTimeoutAsync<TKey>(Reconciler<TKey> reconciler)
        where TKey : notnull =>
        reconciler.StopAsync(CancellationToken.None).WaitAsync(Timeout, TestContext.Current.CancellationToken);

    private static async Task<T> NextAsync<T>(Channel<T> channel) =>
        await channel.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout);
}
