using DaskGateway.Clusters;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Clusters;

/// <summary>
/// The maximum lifetime and the no-client timeout on a fake clock, checked one
/// <see cref="ClusterLifetimes.CheckAsync"/> at a time so that "not before" is exact.
/// </summary>
public sealed class ClusterLifetimesTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private readonly StoppingSource _source = new();
    private readonly ClusterLifetimes _lifetimes;

    public ClusterLifetimesTests() => _lifetimes = new ClusterLifetimes(_source, _time, NullLogger<ClusterLifetimes>.Instance);

    [Fact]
    public async Task ClusterPastItsMaximumLifetime_IsStoppedThen_NotBefore()
    {
        var cluster = _source.Add("c1", new ClusterConfig { MaxLifetime = 3600 });

        _time.Advance(TimeSpan.FromSeconds(3599));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Empty(_source.Stopped);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("c1", "stopped: reached its maximum lifetime of 3600 s")], _source.Stopped);
        Assert.False(_source.Find(cluster.Name).IsActive);
    }

    [Fact]
    public async Task WithoutLimits_NothingIsEverStopped()
    {
        var cluster = _source.Add("c1", new ClusterConfig());
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 0));

        _time.Advance(TimeSpan.FromDays(400));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Empty(_source.Stopped);
    }

    [Fact]
    public async Task ConnectedClient_KeepsTheClusterAlive_AndTheTimeoutRunsFromItsDeparture()
    {
        var cluster = _source.Add("c1", new ClusterConfig { NoClientTimeout = 60 });
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 1));

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(50));
            _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 1));
            await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        }

        Assert.Empty(_source.Stopped);

        // The client leaves: its departure is the last activity.
        _time.Advance(TimeSpan.FromSeconds(10));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 0));
        _time.Advance(TimeSpan.FromSeconds(59));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 0));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Empty(_source.Stopped);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("c1", "stopped: no Dask client connected for 60 s")], _source.Stopped);
    }

    [Fact]
    public async Task ClientThatNeverConnects_StopsTheClusterOneTimeoutAfterItsFirstHeartbeat()
    {
        var cluster = _source.Add("c1", new ClusterConfig { NoClientTimeout = 30 });
        _time.Advance(TimeSpan.FromSeconds(5));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: 0));

        _time.Advance(TimeSpan.FromSeconds(29));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Empty(_source.Stopped);

        _time.Advance(TimeSpan.FromSeconds(1));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Single(_source.Stopped);
    }

    [Fact]
    public async Task WithThePreloadOfUpstream_ChangedWorkersCountAsActivity_UnchangedHeartbeatsDoNot()
    {
        var cluster = _source.Add("c1", new ClusterConfig { NoClientTimeout = 60 });
        _lifetimes.OnHeartbeat(cluster, Beat(count: 0, clients: null));

        _time.Advance(TimeSpan.FromSeconds(50));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 2, clients: null));
        _time.Advance(TimeSpan.FromSeconds(50));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 2, clients: null, active: ["w1", "w2"]));
        _time.Advance(TimeSpan.FromSeconds(50));

        // Only unchanged heartbeats from here on.
        _lifetimes.OnHeartbeat(cluster, Beat(count: 2, clients: null, active: ["w2", "w1"]));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Empty(_source.Stopped);

        _time.Advance(TimeSpan.FromSeconds(10));
        _lifetimes.OnHeartbeat(cluster, Beat(count: 2, clients: null, active: ["w1", "w2"]));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("c1", "stopped: no activity (worker count or workers changed) for 60 s")], _source.Stopped);
    }

    [Fact]
    public async Task NoClientTimeout_DoesNotStopAClusterThatIsStillStarting()
    {
        _source.Add("c1", new ClusterConfig { NoClientTimeout = 10 }, ClusterStatus.Pending);

        _time.Advance(TimeSpan.FromSeconds(100));
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Empty(_source.Stopped);
    }

    [Fact]
    public async Task StoppedCluster_IsNotStoppedAgain()
    {
        _source.Add("c1", new ClusterConfig { MaxLifetime = 10 });
        _time.Advance(TimeSpan.FromSeconds(11));

        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);
        await _lifetimes.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Single(_source.Stopped);
    }

    private static Heartbeat Beat(int count, int? clients, string[]? active = null) =>
        new("tls://127.0.0.1:1", "", "http://127.0.0.1:2", count, active ?? [], [], []) { ClientCount = clients };

    /// <summary>Clusters in memory that record how they were stopped: all <see cref="ClusterLifetimes"/> uses of a source.</summary>
    private sealed class StoppingSource : IClusterSource
    {
        private readonly Dictionary<string, ClusterState> _clusters = new(StringComparer.Ordinal);

        public List<(string Name, string Reason)> Stopped { get; } = [];

        public string StateDescription => "in memory";

        public ClusterState Add(string name, ClusterConfig config, ClusterStatus status = ClusterStatus.Running)
        {
            var cluster = new ClusterState(name, "alice", status, new Dictionary<string, object?>(), Start.ToUnixTimeMilliseconds(), null, null, null, true, true, config, "");
            _clusters[name] = cluster;
            return cluster;
        }

        public ClusterState Find(string name) => _clusters[name];

        public IReadOnlyList<ClusterState> List(string? username) => [.. _clusters.Values];

        public Task<ClusterError?> StopAsync(ClusterState cluster, string reason, CancellationToken cancellationToken)
        {
            Stopped.Add((cluster.Name, reason));
            _clusters[cluster.Name] = cluster with { Status = ClusterStatus.Stopping, IsActive = false };
            return Task.FromResult<ClusterError?>(null);
        }

        public Task LoadAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task StopAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<ClusterState?> FindAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<string?> GetTokenAsync(ClusterState cluster, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(ClusterState cluster, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ClusterResult<string>> CreateAsync(ClusterRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ClusterError?> SetWorkerCountAsync(ClusterState cluster, int count, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task OnSchedulerUnreachableAsync(ClusterState cluster, CancellationToken cancellationToken) => throw new NotSupportedException();

        public bool IsSchedulerHost(ClusterState cluster, string host) => throw new NotSupportedException();

        public Task RecordEventAsync(ClusterState cluster, string kind, string message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task OnHeartbeatAsync(ClusterState cluster, Heartbeat heartbeat, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
