using DaskGateway.Auth;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Auth;

public sealed class AuthCookieCacheTests
{
    [Fact]
    public void Cookie_IsValidUntilMaxAgeFromIssue()
    {
        var time = new FakeTimeProvider();
        var cache = new AuthCookieCache(time, TimeSpan.FromSeconds(300));
        var value = cache.Issue(new User("alice"));

        time.Advance(TimeSpan.FromSeconds(299));
        Assert.True(cache.TryGet(value, out var user));
        Assert.Equal("alice", user.Name);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(cache.TryGet(value, out _));
    }

    [Fact]
    public void RepeatedAuthentication_ReusesAFreshValue_SoTheCacheStaysSmall()
    {
        var time = new FakeTimeProvider();
        var cache = new AuthCookieCache(time, TimeSpan.FromSeconds(300));

        var first = cache.Issue(new User("alice"));
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(first, cache.Issue(new User("alice")));
        }

        Assert.Equal(1, cache.Count);
        Assert.Matches("^[0-9a-f]{32}$", first);
        Assert.NotEqual(first, cache.Issue(new User("bob")));
        Assert.False(cache.TryGet("not-issued", out _));
    }

    [Fact]
    public void ValueWithLessThanHalfItsLifeLeft_IsNotHandedOutAgain()
    {
        var time = new FakeTimeProvider();
        var cache = new AuthCookieCache(time, TimeSpan.FromSeconds(300));
        var first = cache.Issue(new User("alice"));

        time.Advance(TimeSpan.FromSeconds(150));
        var second = cache.Issue(new User("alice"));

        Assert.NotEqual(first, second);
        Assert.True(cache.TryGet(first, out _));
        Assert.True(cache.TryGet(second, out _));
    }

    [Fact]
    public void ChangedGroups_GetANewValue()
    {
        var cache = new AuthCookieCache(new FakeTimeProvider(), TimeSpan.FromSeconds(300));
        var first = cache.Issue(new User("alice", new HashSet<string> { "a" }));

        var second = cache.Issue(new User("alice", new HashSet<string> { "a", "b" }));

        Assert.NotEqual(first, second);
        Assert.True(cache.TryGet(second, out var user));
        Assert.Contains("b", user.Groups);
    }

    [Fact]
    public void Sweep_DropsExpiredEntries()
    {
        var time = new FakeTimeProvider();
        var cache = new AuthCookieCache(time, TimeSpan.FromSeconds(10));
        cache.Issue(new User("alice"));
        time.Advance(TimeSpan.FromSeconds(5));
        cache.Issue(new User("bob"));
        time.Advance(TimeSpan.FromSeconds(6));

        cache.Sweep();

        Assert.Equal(1, cache.Count);
    }
}
