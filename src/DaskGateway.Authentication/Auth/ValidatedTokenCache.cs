using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace DaskGateway.Auth;

/// <summary>
/// Remembers for a short time what the identity service said about a bearer token (a JupyterHub API
/// token): the user it belongs to, or why it was refused, so that a busy gateway does not ask about the
/// same token on every request. Entries are keyed by the token's SHA-256, never the token itself,
/// expire <c>maxAge</c> after the check, and the cache never holds more than <c>capacity</c> of them.
/// A token revoked at the identity service keeps working until its entry expires.
/// </summary>
/// <typeparam name="TVerdict">What is remembered: the <see cref="User"/>, or a refusal's message.</typeparam>
internal sealed class ValidatedTokenCache<TVerdict>
    where TVerdict : class
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

    public bool TryGet(string token, out TVerdict verdict)
    {
        verdict = null!;
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

        verdict = entry.Verdict;
        return true;
    }

    public void Add(string token, TVerdict verdict)
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

        _entries[Key(token)] = new Entry(verdict, _timeProvider.GetTimestamp());
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

    private sealed record Entry(TVerdict Verdict, long CheckedAt);
}
