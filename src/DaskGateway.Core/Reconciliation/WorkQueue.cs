namespace DaskGateway.Reconciliation;

/// <summary>
/// The reconciler's queue of keys (clusters, workers) that need attention, with upstream's
/// <c>WorkQueue</c> semantics (protocol.md §4.4):
/// <list type="bullet">
/// <item>a key put several times before it is taken is taken once (puts merge while queued);</item>
/// <item>a key being processed is never handed to a second consumer: a put during processing marks
/// it dirty, and <see cref="Done"/> queues it again;</item>
/// <item>keys can be put after a delay (the earliest schedule wins) or after a per-key backoff;</item>
/// <item>ready keys are taken in FIFO order;</item>
/// <item><see cref="Close"/> fails every waiting and later <see cref="DequeueAsync"/> with
/// <see cref="WorkQueueClosedException"/>.</item>
/// </list>
/// </summary>
/// <remarks>
/// Thread-safe for any number of producers and consumers. Delayed keys share one timer of the
/// injected <see cref="TimeProvider"/>, armed for the earliest due key of a priority queue, so
/// scheduling costs O(log n) and 10,000 scheduled keys use no more timers than one. As upstream,
/// an immediate put does not cancel a pending schedule of the same key (the key is then processed
/// again when the schedule comes due). After <see cref="Close"/>, puts and schedules are ignored.
/// </remarks>
internal sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    /// <summary>Upstream's <c>backoff_base_delay</c> default.</summary>
    public static readonly TimeSpan DefaultBackoffBaseDelay = TimeSpan.FromSeconds(0.1);

    /// <summary>Upstream's <c>backoff_max_delay</c> default.</summary>
    public static readonly TimeSpan DefaultBackoffMaxDelay = TimeSpan.FromSeconds(300);

    // Timers take at most 0xFFFFFFFE ms; a later due key re-arms the timer when it fires.
    private const double MaxTimerMilliseconds = uint.MaxValue - 1.0;

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly Backoff<TKey> _backoff;
    private readonly ITimer _timer;

    // Keys ready to be taken, in order; each is also in _dirty. Non-empty only while no consumer waits.
    private readonly Queue<TKey> _ready = new();

    // Keys put and not yet taken: those in _ready, and those put again while processing.
    private readonly HashSet<TKey> _dirty;
    private readonly HashSet<TKey> _processing;
    private readonly LinkedList<Waiter> _waiters = new();

    // The live schedule of each delayed key, and a heap of schedules by due time; heap entries that
    // no longer match _scheduled are stale and are skipped (or dropped by Compact).
    private readonly Dictionary<TKey, (long Due, long Sequence)> _scheduled;
    private readonly PriorityQueue<TKey, (long Due, long Sequence)> _due = new();

    private long _sequence;
    private long _armedFor = long.MaxValue;
    private bool _closed;

    public WorkQueue(TimeProvider timeProvider, Backoff<TKey>? backoff = null, IEqualityComparer<TKey>? comparer = null)
    {
        _timeProvider = timeProvider;
        _backoff = backoff ?? new Backoff<TKey>(DefaultBackoffBaseDelay, DefaultBackoffMaxDelay, comparer);
        _dirty = new HashSet<TKey>(comparer);
        _processing = new HashSet<TKey>(comparer);
        _scheduled = new Dictionary<TKey, (long, long)>(comparer);

        // The timer outlives whoever creates the queue: their execution context (a request's
        // logging scope, activity, ...) must not flow into its callbacks.
        var suppress = !ExecutionContext.IsFlowSuppressed();
        if (suppress)
        {
            ExecutionContext.SuppressFlow();
        }

        try
        {
            _timer = timeProvider.CreateTimer(
                static state => ((WorkQueue<TKey>)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (suppress)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>How many keys are ready to be taken.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>How many keys wait for their delay to pass.</summary>
    public int ScheduledCount
    {
        get
        {
            lock (_lock)
            {
                return _scheduled.Count;
            }
        }
    }

    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Puts <paramref name="key"/> in the queue (upstream's <c>put</c>).</summary>
    public void Enqueue(TKey key)
    {
        lock (_lock)
        {
            if (!_closed)
            {
                PutLocked(key);
            }
        }
    }

    /// <summary>
    /// Puts <paramref name="key"/> in the queue once <paramref name="delay"/> has passed, unless it is
    /// already scheduled sooner (upstream's <c>put_after</c>); a delay of zero or less puts it now.
    /// </summary>
    public void EnqueueAfter(TKey key, TimeSpan delay)
    {
        lock (_lock)
        {
            EnqueueAfterLocked(key, delay);
        }
    }

    /// <summary>
    /// Records a failure of <paramref name="key"/> and schedules it after its backoff (upstream's
    /// <c>put_backoff</c>); returns that backoff (the key comes sooner if it was scheduled sooner).
    /// </summary>
    public TimeSpan EnqueueBackoff(TKey key)
    {
        lock (_lock)
        {
            var delay = _backoff.Failure(key);
            EnqueueAfterLocked(key, delay);
            return delay;
        }
    }

    /// <summary>Forgets the failures of <paramref name="key"/> (upstream's <c>reset_backoff</c>).</summary>
    public void ResetBackoff(TKey key)
    {
        lock (_lock)
        {
            _backoff.Reset(key);
        }
    }

    /// <summary>How many failures of <paramref name="key"/> were recorded since its last reset.</summary>
    public int Failures(TKey key)
    {
        lock (_lock)
        {
            return _backoff.Failures(key);
        }
    }

    /// <summary>
    /// Takes the next ready key, waiting for one if needed, and marks it as processing until
    /// <see cref="Done"/> (upstream's <c>get</c>). Fails with <see cref="WorkQueueClosedException"/>
    /// once the queue is closed. When cancelled, no key is taken.
    /// </summary>
    public ValueTask<TKey> DequeueAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TKey>(cancellationToken);
        }

        Waiter waiter;
        lock (_lock)
        {
            if (_closed)
            {
                return ValueTask.FromException<TKey>(new WorkQueueClosedException());
            }

            if (_ready.TryDequeue(out var key))
            {
                _dirty.Remove(key);
                _processing.Add(key);
                return new ValueTask<TKey>(key);
            }

            waiter = new Waiter(this);
            waiter.Node = _waiters.AddLast(waiter);
        }

        return cancellationToken.CanBeCanceled ? WaitAsync(waiter, cancellationToken) : new ValueTask<TKey>(waiter.Task);
    }

    /// <summary>
    /// Marks <paramref name="key"/> as no longer processing; if it was put meanwhile, it is queued
    /// again (upstream's <c>task_done</c>).
    /// </summary>
    public void Done(TKey key)
    {
        lock (_lock)
        {
            if (_processing.Remove(key) && !_closed && _dirty.Contains(key))
            {
                MakeReadyLocked(key);
            }
        }
    }

    /// <summary>Closes the queue: queued and scheduled keys are dropped and consumers fail.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _timer.Dispose();
            _ready.Clear();
            _dirty.Clear();
            _scheduled.Clear();
            _due.Clear();
            foreach (var waiter in _waiters)
            {
                waiter.TrySetException(new WorkQueueClosedException());
            }

            _waiters.Clear();
        }
    }

    public void Dispose() => Close();

    private static async ValueTask<TKey> WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(static (state, token) => ((Waiter)state!).Cancel(token), waiter))
        {
            return await waiter.Task;
        }
    }

    private void EnqueueAfterLocked(TKey key, TimeSpan delay)
    {
        if (_closed)
        {
            return;
        }

        if (delay <= TimeSpan.Zero)
        {
            _scheduled.Remove(key);
            PutLocked(key);
            return;
        }

        var now = _timeProvider.GetTimestamp();
        var due = AddSaturating(now, ToTimestampTicks(delay));
        if (_scheduled.TryGetValue(key, out var existing) && existing.Due <= due)
        {
            return;
        }

        var schedule = (due, _sequence++);
        _scheduled[key] = schedule;
        _due.Enqueue(key, schedule);
        if (_due.Count > (2 * _scheduled.Count) + 64)
        {
            CompactLocked();
        }

        if (due < _armedFor)
        {
            ArmLocked(due, now);
        }
    }

    private void PutLocked(TKey key)
    {
        if (_dirty.Add(key) && !_processing.Contains(key))
        {
            MakeReadyLocked(key);
        }
    }

    // The key is dirty and not processing: hand it to the first waiting consumer, or queue it.
    private void MakeReadyLocked(TKey key)
    {
        if (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _dirty.Remove(key);
            _processing.Add(key);

            // Waiters complete only under the lock and leave the list as they do, so this succeeds;
            // the consumer continues on the thread pool, not under the lock.
            first.Value.TrySetResult(key);
            return;
        }

        _ready.Enqueue(key);
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            var now = _timeProvider.GetTimestamp();
            _armedFor = long.MaxValue;
            while (_due.TryPeek(out var key, out var schedule))
            {
                var live = _scheduled.TryGetValue(key, out var current) && current == schedule;
                if (live && schedule.Due > now)
                {
                    ArmLocked(schedule.Due, now);
                    return;
                }

                _due.Dequeue();
                if (live)
                {
                    _scheduled.Remove(key);
                    PutLocked(key);
                }
            }
        }
    }

    private void ArmLocked(long due, long now)
    {
        _armedFor = due;

        // Rounded up to whole milliseconds so that the timer never fires before the key is due.
        var milliseconds = Math.Ceiling((due - now) * 1000.0 / _timeProvider.TimestampFrequency);
        _timer.Change(TimeSpan.FromMilliseconds(Math.Clamp(milliseconds, 1.0, MaxTimerMilliseconds)), Timeout.InfiniteTimeSpan);
    }

    private void CompactLocked()
    {
        _due.Clear();
        foreach (var (key, schedule) in _scheduled)
        {
            _due.Enqueue(key, schedule);
        }
    }

    private void CancelWaiter(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (waiter.Node is { List: not null } node)
            {
                _waiters.Remove(node);
                waiter.TrySetCanceled(cancellationToken);
            }
        }
    }

    private long ToTimestampTicks(TimeSpan delay)
    {
        var frequency = _timeProvider.TimestampFrequency;
        if (frequency == TimeSpan.TicksPerSecond)
        {
            return delay.Ticks;
        }

        var ticks = Math.Ceiling(delay.Ticks * ((double)frequency / TimeSpan.TicksPerSecond));
        return ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
    }

    private static long AddSaturating(long timestamp, long ticks) =>
        ticks > long.MaxValue - timestamp ? long.MaxValue : timestamp + ticks;

    private sealed class Waiter(WorkQueue<TKey> queue) : TaskCompletionSource<TKey>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public LinkedListNode<Waiter>? Node { get; set; }

        public void Cancel(CancellationToken cancellationToken) => queue.CancelWaiter(this, cancellationToken);
    }
}
