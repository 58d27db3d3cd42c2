using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DaskGateway.Auth;

/// <summary>
/// Maps authentication cookie values to users for <c>CacheMaxAge</c> seconds from when they were
/// issued (protocol.md §1.2). Unlike upstream, every successful authentication gets a value of its
/// own, so one user's sessions are independent and an expired value is never handed out again.
/// </summary>
internal sealed class AuthCookieCache
{
    private const int SweepEveryIssues = 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private int _issuedSinceSweep;

    public AuthCookieCache(TimeProvider timeProvider, TimeSpan maxAge)
    {
        _timeProvider = timeProvider;
        MaxAge = maxAge;
        _maxAgeTicks = (long)(maxAge.TotalSeconds * timeProvider.TimestampFrequency);
    }

    public TimeSpan MaxAge { get; }

    public int Count => _entries.Count;

    public string Issue(User user)
    {
        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _entries[value] = new Entry(user, _timeProvider.GetTimestamp());
        if (Interlocked.Increment(ref _issuedSinceSweep) >= SweepEveryIssues)
        {
            Interlocked.Exchange(ref _issuedSinceSweep, 0);
            Sweep();
        }

        return value;
    }

    public bool TryGet(string value, out User user)
    {
        user = null!;
        if (!_entries.TryGetValue(value, out var entry))
        {
            return false;
        }

        if (_timeProvider.GetTimestamp() - entry.IssuedAt >= _maxAgeTicks)
        {
            _entries.TryRemove(value, out _);
            return false;
        }

        user = entry.User;
        return true;
    }

    /// <summary>Drops expired entries, so that clients that never come back cost no memory.</summary>
    public void Sweep()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var (value, entry) in _entries)
        {
            if (now - entry.IssuedAt >= _maxAgeTicks)
            {
                _entries.TryRemove(value, out _);
            }
        }
    }

    private sealed record Entry(User User, long IssuedAt);
}
