using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace DaskGateway.Auth;

/// <summary>
/// Maps authentication cookie values to users for <c>CacheMaxAge</c> seconds from when they were
/// issued (protocol.md §1.2). As upstream, a user who authenticates again soon gets the value
/// already issued to them, so the cache holds a few entries per user however often clients
/// authenticate; unlike upstream, a value is handed out again only while it has at least half its
/// life left, so a client is never given a cookie that is about to expire (or already has).
/// </summary>
internal sealed class AuthCookieCache
{
    private const int SweepEveryIssues = 1024;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Value, Entry Entry)> _latestByUser = new(StringComparer.Ordinal);
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
        var now = _timeProvider.GetTimestamp();
        if (_latestByUser.TryGetValue(user.Name, out var latest)
            && now - latest.Entry.IssuedAt < _maxAgeTicks / 2
            && SameUser(latest.Entry.User, user))
        {
            return latest.Value;
        }

        var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var entry = new Entry(user, now);
        _entries[value] = entry;
        _latestByUser[user.Name] = (value, entry);
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

        foreach (var (name, latest) in _latestByUser)
        {
            if (now - latest.Entry.IssuedAt >= _maxAgeTicks)
            {
                _latestByUser.TryRemove(new KeyValuePair<string, (string, Entry)>(name, latest));
            }
        }
    }

    // Groups or the admin flag may change between authentications; such a user gets a new value.
    private static bool SameUser(User cached, User current) =>
        cached.Name == current.Name && cached.Admin == current.Admin && cached.Groups.SetEquals(current.Groups);

    private sealed record Entry(User User, long IssuedAt);
}
