namespace DaskGateway.Reconciliation;

/// <summary>
/// Per-key exponential backoff: the n-th consecutive failure of a key (counting from 0) waits
/// <c>min(baseDelay · 2^n, maxDelay)</c>, as upstream's <c>Backoff</c> (protocol.md §4.4).
/// </summary>
/// <remarks>
/// Not thread-safe on its own: <see cref="WorkQueue{TKey}"/> calls it under its lock. Only keys
/// that failed since their last <see cref="Reset"/> hold memory.
/// </remarks>
internal sealed class Backoff<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, int> _failures;

    public Backoff(TimeSpan baseDelay, TimeSpan maxDelay, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(baseDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, baseDelay);
        BaseDelay = baseDelay;
        MaxDelay = maxDelay;
        _failures = new Dictionary<TKey, int>(comparer);
    }

    public TimeSpan BaseDelay { get; }

    public TimeSpan MaxDelay { get; }

    /// <summary>Records a failure of <paramref name="key"/> and returns how long to wait before retrying it.</summary>
    public TimeSpan Failure(TKey key)
    {
        _failures.TryGetValue(key, out var failures);
        _failures[key] = failures == int.MaxValue ? failures : failures + 1;
        return Delay(failures);
    }

    /// <summary>How many failures of <paramref name="key"/> were recorded since its last reset.</summary>
    public int Failures(TKey key) => _failures.GetValueOrDefault(key);

    /// <summary>Forgets the failures of <paramref name="key"/> (after it succeeded).</summary>
    public void Reset(TKey key) => _failures.Remove(key);

    private TimeSpan Delay(int failures)
    {
        // base · 2^failures without overflow: it fits below max exactly when base ≤ max >> failures.
        var baseTicks = BaseDelay.Ticks;
        var maxTicks = MaxDelay.Ticks;
        if (failures >= 63 || baseTicks > maxTicks >> failures)
        {
            return MaxDelay;
        }

        return TimeSpan.FromTicks(baseTicks << failures);
    }
}
