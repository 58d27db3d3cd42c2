using DaskGateway.Reconciliation;

namespace DaskGateway.Tests.Reconciliation;

public sealed class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(0.1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(300);

    [Fact]
    public void Failure_DoublesFromTheBaseUntilTheMaximum()
    {
        var backoff = new Backoff<string>(Base, Max);

        var delays = Enumerable.Range(0, 14).Select(_ => backoff.Failure("a").TotalMilliseconds).ToArray();

        double[] expected = [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400, 204800, 300000, 300000];
        Assert.Equal(expected, delays);
        Assert.Equal(14, backoff.Failures("a"));
    }

    [Fact]
    public void Failure_CountsEachKeyApart()
    {
        var backoff = new Backoff<string>(Base, Max);

        backoff.Failure("a");
        backoff.Failure("a");

        Assert.Equal(TimeSpan.FromSeconds(0.1), backoff.Failure("b"));
        Assert.Equal(TimeSpan.FromSeconds(0.4), backoff.Failure("a"));
        Assert.Equal(3, backoff.Failures("a"));
        Assert.Equal(1, backoff.Failures("b"));
        Assert.Equal(0, backoff.Failures("c"));
    }

    [Fact]
    public void Reset_StartsAgainFromTheBase()
    {
        var backoff = new Backoff<string>(Base, Max);
        backoff.Failure("a");
        backoff.Failure("a");
        backoff.Failure("b");

        backoff.Reset("a");

        Assert.Equal(0, backoff.Failures("a"));
        Assert.Equal(1, backoff.Failures("b"));
        Assert.Equal(Base, backoff.Failure("a"));
    }

    [Fact]
    public void Failure_DoesNotOverflowAfterManyFailures()
    {
        var backoff = new Backoff<int>(TimeSpan.FromTicks(1), TimeSpan.MaxValue);

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.Failure(1)).ToList();

        Assert.Equal(TimeSpan.FromTicks(1L << 62), delays[62]);
        Assert.All(delays.Skip(63), delay => Assert.Equal(TimeSpan.MaxValue, delay));
        Assert.Equal(200, backoff.Failures(1));
    }

    [Fact]
    public void Constructor_RejectsAMaximumBelowTheBase()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff<int>(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff<int>(TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(1)));
    }
}
