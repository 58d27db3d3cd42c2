using DaskGateway.Auth;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Auth;

public sealed class ValidatedTokenCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Entries_LiveForMaxAgeFromTheCheck()
    {
        var cache = new ValidatedTokenCache<User>(_time, TimeSpan.FromSeconds(30));
        cache.Add("t0ken", new User("alice"));

        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(cache.TryGet("t0ken", out var user));
        Assert.Equal("alice", user.Name);
        Assert.False(cache.TryGet("other", out _));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet("t0ken", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void TheCache_NeverGrowsPastItsCapacity()
    {
        var cache = new ValidatedTokenCache<User>(_time, TimeSpan.FromSeconds(30), capacity: 100);

        for (var i = 0; i < 1000; i++)
        {
            cache.Add("token-" + i, new User("u" + i));
            Assert.InRange(cache.Count, 1, 100);
        }

        Assert.True(cache.TryGet("token-999", out _));
    }

    [Fact]
    public void ExpiredEntries_MakeRoomBeforeLiveOnesAreDropped()
    {
        var cache = new ValidatedTokenCache<User>(_time, TimeSpan.FromSeconds(30), capacity: 2);
        cache.Add("old", new User("a"));
        _time.Advance(TimeSpan.FromSeconds(20));
        cache.Add("young", new User("b"));
        _time.Advance(TimeSpan.FromSeconds(15));

        cache.Add("new", new User("c"));

        Assert.True(cache.TryGet("young", out _));
        Assert.True(cache.TryGet("new", out _));
    }
}
