using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace DaskGateway.Auth;

/// <summary>
/// Remembers for a short time which user a bearer token (a JupyterHub API token) belongs to, so that a
/// busy gateway does not ask the identity service about the same token on every request. Entries
/// are keyed by the token's SHA-256, never the token itself, expire <c>maxAge</c> after the check,
/// and the cache never holds more than <c>capacity</c> of them. Only successful checks are
/// remembered; a token revoked at the identity service keeps working until its entry expires.
/// </summary>
internal sealed class ValidatedTokenCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly long _maxAgeTicks;
    private readonly int _capacity;

    public ValidatedTokenCache(TimeProvider timeProvider, TimeSpan maxAge, int capacity = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _timeProvider = timeProvider;
        _maxAgeTicks = (long)(maxAge.TotalSeconds * timeProvider.TimestampFrequency);
        _capacity = capacity;
    }

    public int Count => _entries.Count;

    public bool TryGet(string token, out User user)
    {
        user = null!;
        var key = Key(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        if (_timeProvider.GetTimestamp() - entry.CheckedAt >= _maxAgeTicks)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
            return false;
        }

        user = entry.User;
        return true;
    }

    public void Add(string token, User user)
    {
        if (_entries.Count >= _capacity)
        {
            Sweep();
            if (_entries.Count >= _capacity)
            {
                // Full of live entries (a flood of distinct valid tokens): start over rather than grow.
                _entries.Clear();
            }
        }

        _entries[Key(token)] = new Entry(user, _timeProvider.GetTimestamp());
    }

    private void Sweep()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var pair in _entries)
        {
            if (now - pair.Value.CheckedAt >= _maxAgeTicks)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private static string Key(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed record Entry(User User, long CheckedAt);
}
