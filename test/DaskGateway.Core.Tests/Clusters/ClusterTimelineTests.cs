using DaskGateway.Clusters;

namespace DaskGateway.Tests.Clusters;

public sealed class ClusterTimelineTests
{
    private static Cluster NewCluster() => new("c", "alice", "token", new Dictionary<string, object?>(), new ClusterConfig(), 0);

    [Fact]
    public void ClusterWithThousandsOfEvents_KeepsTheFirstAndTheLatestInMemory()
    {
        var cluster = NewCluster();

        for (var i = 0; i < 5000; i++)
        {
            cluster.AddEvent(new ClusterEvent(i, "status", $"event {i}"));
        }

        string[] expected =
        [
            .. Enumerable.Range(0, ClusterEventLimits.KeptFirst).Select(i => $"event {i}"),
            .. Enumerable.Range(5000 - ClusterEventLimits.KeptLatest, ClusterEventLimits.KeptLatest).Select(i => $"event {i}"),
        ];
        Assert.Equal(expected, cluster.Events().Select(e => e.Message));
    }

    [Fact]
    public void BackendFailureDescriptionOf10MiB_IsCutToTheBound_WithAMarker()
    {
        var cluster = NewCluster();
        var huge = "why: " + new string('x', 10 * 1024 * 1024);

        cluster.AddEvent(new ClusterEvent(1, "failing", huge));

        var message = Assert.Single(cluster.Events()).Message;
        Assert.Equal(ClusterEventLimits.MaxMessageLength, message.Length);
        Assert.StartsWith("why: xxx", message, StringComparison.Ordinal);
        Assert.EndsWith($" [… {huge.Length} characters, cut]", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncate_KeepsShortMessages_AndNeverSplitsASurrogatePair()
    {
        Assert.Equal("short", ClusterEventLimits.Truncate("short"));
        var exact = new string('a', ClusterEventLimits.MaxMessageLength);
        Assert.Same(exact, ClusterEventLimits.Truncate(exact));

        var emoji = string.Concat(Enumerable.Repeat("\U0001F600", ClusterEventLimits.MaxMessageLength));
        var cut = ClusterEventLimits.Truncate(emoji);
        Assert.True(cut.Length <= ClusterEventLimits.MaxMessageLength);
        var kept = cut[..cut.IndexOf(" […", StringComparison.Ordinal)];
        Assert.True(kept.Length % 2 == 0 && !char.IsHighSurrogate(kept[^1]));
    }
}
