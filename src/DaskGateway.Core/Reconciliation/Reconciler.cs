using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Reconciliation;

/// <summary>
/// Runs <c>parallelism</c> consumers over a <see cref="WorkQueue{TKey}"/> (protocol.md §4.4): each
/// takes a key and awaits the handler; a failure schedules the key again after its backoff, a
/// success resets the backoff, and the key is always marked done. The queue guarantees that the
/// handler never runs twice at once for one key.
/// </summary>
internal sealed partial class Reconciler<TKey> : IDisposable
    where TKey : notnull
{
    private readonly WorkQueue<TKey> _queue;
    private readonly Func<TKey, CancellationToken, Task> _handler;
    private readonly int _parallelism;
    private readonly ILogger _logger;

    // Cancelled when StopAsync gives up waiting: handlers still running should abandon their work.
    private readonly CancellationTokenSource _aborting = new();
    private readonly Lock _lock = new();
    private Task[]? _consumers;

    public Reconciler(WorkQueue<TKey> queue, Func<TKey, CancellationToken, Task> handler, int parallelism, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _queue = queue;
        _handler = handler;
        _parallelism = parallelism;
        _logger = logger;
    }

    public WorkQueue<TKey> Queue => _queue;

    /// <summary>Starts the consumers; they run until <see cref="StopAsync"/>.</summary>
    public Task StartAsync()
    {
        lock (_lock)
        {
            if (_consumers is not null)
            {
                throw new InvalidOperationException("The reconciler was already started.");
            }

            _consumers = new Task[_parallelism];
            for (var i = 0; i < _parallelism; i++)
            {
                _consumers[i] = Task.Run(ConsumeAsync);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the queue and waits for the handlers in flight to finish. When
    /// <paramref name="cancellationToken"/> fires first, the handlers' token is cancelled and this
    /// returns without waiting further (it does not throw).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Close();
        Task[] consumers;
        lock (_lock)
        {
            consumers = _consumers ?? [];
        }

        try
        {
            await Task.WhenAll(consumers).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _aborting.CancelAsync();
        }
    }

    /// <summary>Closes the queue and cancels handlers still running; call it after <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _queue.Close();
        _aborting.Cancel();
        _aborting.Dispose();
    }

    private async Task ConsumeAsync()
    {
        var aborting = _aborting.Token;
        while (true)
        {
            TKey key;
            try
            {
                key = await _queue.DequeueAsync(CancellationToken.None);
            }
            catch (WorkQueueClosedException)
            {
                return;
            }

            try
            {
                await _handler(key, aborting);
                _queue.ResetBackoff(key);
            }
            catch (OperationCanceledException) when (aborting.IsCancellationRequested)
            {
                // Stopping: the queue is closed, so there is nothing to retry.
            }
            catch (Exception e)
            {
                var retryDelay = _queue.EnqueueBackoff(key);
                LogReconcileFailed(e, key, retryDelay);
            }
            finally
            {
                _queue.Done(key);
            }
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ReconcilerReconcileFailed, Level = LogLevel.Warning, Message = "Error while reconciling {Key}, retrying in {RetryDelay}")]
    private partial void LogReconcileFailed(Exception exception, TKey key, TimeSpan retryDelay);
}
