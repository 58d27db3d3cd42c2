using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using DaskGateway.Backends;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// A backend whose schedulers are <see cref="FakeDaskScheduler"/>s in this process: each listens
/// on loopback, heartbeats to the gateway and answers <c>/api/comm</c> as the real preload does, and
/// "starts" workers by reporting them. Knobs make clusters and workers misbehave on purpose.
/// </summary>
public sealed class InProcessBackend : DBBackendBase
{
    // Shared by every instance: like real processes, schedulers outlive a gateway that restarts without stopping them.
    private static readonly ConcurrentDictionary<string, FakeDaskScheduler> Schedulers = new(StringComparer.Ordinal);

    /// <summary>Real seconds between the fake schedulers' heartbeats.</summary>
    public double FakeHeartbeatSeconds { get; set; } = 0.2;

    /// <summary>Cluster starts throw.</summary>
    public bool FailClusterStarts { get; set; }

    /// <summary>Cluster starts never finish (until cancelled).</summary>
    public bool HangClusterStarts { get; set; }

    /// <summary>Schedulers start but never heartbeat.</summary>
    public bool SilentSchedulers { get; set; }

    /// <summary>Worker starts throw.</summary>
    public bool FailWorkerStarts { get; set; }

    /// <summary>Workers start but never join their scheduler.</summary>
    public bool WorkersNeverConnect { get; set; }

    /// <summary>What the backend says about a scheduler or worker it found dead; null: nothing.</summary>
    public string? FailureDescription { get; set; }

    /// <summary>Worker stops wait for this task (at most 30 s) before they finish; null: they finish at once.</summary>
    public Task? WorkerStopsWaitFor { get; set; }

    public ConcurrentQueue<string> Calls { get; } = new();

    public FakeDaskScheduler Scheduler(string clusterName) => Schedulers[clusterName];

    public bool HasScheduler(string clusterName) => Schedulers.ContainsKey(clusterName);

    /// <summary>Only loopback, as the local backends: every fake scheduler listens there.</summary>
    public override bool IsSchedulerHost(ClusterInfo cluster, string host) =>
        System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);

    public override async IAsyncEnumerable<JsonObject> StartClusterAsync(ClusterInfo cluster, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Enqueue($"start-cluster {cluster.Name}");
        if (FailClusterStarts)
        {
            throw new InvalidOperationException("no scheduler for you");
        }

        yield return new JsonObject { ["phase"] = "submitted" };
        if (HangClusterStarts)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var period = TimeSpan.FromSeconds(FakeHeartbeatSeconds);
        var scheduler = await FakeDaskScheduler.StartAsync(cluster.Name, cluster.Token, new Uri(cluster.ApiUrl + "/"), period, heartbeats: false);
        scheduler.ServeTls(ClusterTls.Certificate(cluster.TlsCertificatePem, cluster.TlsKeyPem));
        if (!SilentSchedulers)
        {
            scheduler.StartHeartbeats(period);
        }
        Schedulers[cluster.Name] = scheduler;
        yield return new JsonObject { ["phase"] = "running", ["api"] = scheduler.ApiAddress.ToString() };
    }

    public override async Task StopClusterAsync(ClusterInfo cluster, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"stop-cluster {cluster.Name}");
        if (Schedulers.TryRemove(cluster.Name, out var scheduler))
        {
            await scheduler.DisposeAsync();
        }
    }

    public override Task<IReadOnlyList<bool>> CheckClustersAsync(IReadOnlyList<ClusterInfo> clusters, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<bool>>([.. clusters.Select(c => Schedulers.ContainsKey(c.Name))]);

    public override Task<string?> DescribeFailureAsync(ClusterInfo cluster, WorkerInfo? worker, CancellationToken cancellationToken) =>
        Task.FromResult(FailureDescription);

    public override async IAsyncEnumerable<JsonObject> StartWorkerAsync(WorkerInfo worker, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Enqueue($"start-worker {worker.Name}");
        await Task.Yield();
        if (FailWorkerStarts)
        {
            throw new InvalidOperationException("no worker for you");
        }

        if (!WorkersNeverConnect && Schedulers.TryGetValue(worker.Cluster.Name, out var scheduler))
        {
            scheduler.Connect(worker.Name);
        }

        yield return new JsonObject { ["worker"] = worker.Name };
    }

    public override async Task StopWorkerAsync(WorkerInfo worker, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"stop-worker {worker.Name}");
        if (WorkerStopsWaitFor is { } wait)
        {
            await wait.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        if (Schedulers.TryGetValue(worker.Cluster.Name, out var scheduler))
        {
            scheduler.Disconnect(worker.Name);
        }
    }

    /// <summary>Ends a scheduler left running by a test (a gateway that did not stop its clusters).</summary>
    public static async Task KillAsync(string clusterName)
    {
        if (Schedulers.TryRemove(clusterName, out var scheduler))
        {
            await scheduler.DisposeAsync();
        }
    }
}
