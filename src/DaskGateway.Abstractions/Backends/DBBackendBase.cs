using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace DaskGateway.Backends;

/// <summary>
/// The base of backends whose clusters the gateway tracks in its own database (local processes,
/// Slurm, PBS): the gateway reconciles each cluster and worker toward its target and calls these
/// methods to start, check and stop them. Settings declared here apply to all such backends
/// (<c>c.DBBackendBase.ClusterStartTimeout = 120</c>).
/// </summary>
/// <remarks>
/// Start methods yield the backend's state as it grows (for example first a working directory,
/// then a process id); the gateway stores the last one and passes it back to check and stop,
/// also after a restart. A start that throws or exceeds its timeout fails the cluster or worker.
/// </remarks>
[GatewayBackendModule("DaskGateway.Storage.DatabaseBackendModule, DaskGateway.Storage")]
public abstract class DBBackendBase : Backend
{
    /// <summary>Where cluster records are kept; empty for the embedded default, a SQLite file the gateway chooses.</summary>
    [Description("Database URL: sqlite:///path/to/file.sqlite, sqlite:///:memory: (nothing survives a restart), or empty for the embedded default (dask-gateway.sqlite in the working directory).")]
    public string DbUrl { get; set; } = "";

    /// <summary>Fernet keys encrypting tokens and TLS keys at rest; the first encrypts, all decrypt.</summary>
    [Description("Fernet keys for encrypting tokens and TLS keys at rest (default: DASK_GATEWAY_ENCRYPT_KEYS, ';'-separated); the first encrypts, all decrypt.")]
    public IReadOnlyList<string> DbEncryptKeys { get; set; } = [];

    /// <summary>Seconds between deletions of old cluster records.</summary>
    [Description("Seconds between deletions of old cluster records.")]
    [Range(1, int.MaxValue)]
    public double DbCleanupPeriod { get; set; } = 600;

    /// <summary>Seconds a stopped cluster's record is kept.</summary>
    [Description("Seconds a stopped cluster's record (and its events) is kept.")]
    [Range(0, double.MaxValue)]
    public double DbClusterMaxAge { get; set; } = 86400;

    /// <summary>Whether running clusters are stopped when the gateway shuts down.</summary>
    [Description("Stop every cluster when the gateway shuts down; when false, a restarted gateway re-adopts them.")]
    public bool StopClustersOnShutdown { get; set; } = true;

    /// <summary>Seconds between checks of clusters that are starting.</summary>
    [Description("Seconds between backend checks of clusters that are starting.")]
    [Range(0.01, double.MaxValue)]
    public double ClusterStatusPeriod { get; set; } = 30;

    /// <summary>Seconds between checks of workers that are starting.</summary>
    [Description("Seconds between backend checks of workers that are starting.")]
    [Range(0.01, double.MaxValue)]
    public double WorkerStatusPeriod { get; set; } = 30;

    /// <summary>Seconds between a scheduler's heartbeats (passed to it as <c>--dg-heartbeat-period</c>).</summary>
    [Description("Seconds between a scheduler's heartbeats.")]
    [Range(0.01, double.MaxValue)]
    public double ClusterHeartbeatPeriod { get; set; } = 15;

    /// <summary>Seconds without a heartbeat after which a running cluster fails; default twice the period.</summary>
    [Description("Seconds without a heartbeat after which a running cluster is failed (default: twice the heartbeat period).")]
    [Range(0.01, double.MaxValue)]
    public double? ClusterHeartbeatTimeout { get; set; }

    /// <summary>Seconds a cluster may take from creation to its scheduler's first heartbeat.</summary>
    [Description("Seconds a cluster may take from creation until its scheduler reports in.")]
    [Range(0.01, double.MaxValue)]
    public double ClusterStartTimeout { get; set; } = 60;

    /// <summary>Seconds a worker may take from creation until its scheduler reports it.</summary>
    [Description("Seconds a worker may take from creation until the scheduler reports it.")]
    [Range(0.01, double.MaxValue)]
    public double WorkerStartTimeout { get; set; } = 60;

    /// <summary>Consecutive worker start failures that fail the cluster.</summary>
    [Description("Consecutive worker start failures that fail the cluster.")]
    [Range(1, int.MaxValue)]
    public int WorkerStartFailureLimit { get; set; } = 3;

    /// <summary>How many clusters and workers are reconciled at once.</summary>
    [Description("How many clusters and workers are reconciled at once.")]
    [Range(1, 1000)]
    public int Parallelism { get; set; } = 20;

    /// <summary>First delay, in seconds, before a failed reconciliation is retried.</summary>
    [Description("Seconds before a failed reconciliation step is retried (doubling each time).")]
    [Range(0.001, double.MaxValue)]
    public double BackoffBaseDelay { get; set; } = 0.1;

    /// <summary>Longest delay, in seconds, between retries of a failed reconciliation.</summary>
    [Description("Longest delay between retries of a failed reconciliation step, in seconds.")]
    [Range(0.001, double.MaxValue)]
    public double BackoffMaxDelay { get; set; } = 300;

    /// <summary>The API URL schedulers report to; by default the private API address.</summary>
    [Description("URL schedulers use to reach the gateway's API, ending in /api (default: the private API address).")]
    public string ApiUrl { get; set; } = "";

    /// <summary>The heartbeat timeout in force.</summary>
    public double EffectiveHeartbeatTimeout => ClusterHeartbeatTimeout ?? 2 * ClusterHeartbeatPeriod;

    /// <summary>Starts a cluster's scheduler, yielding the backend state as it grows.</summary>
    public abstract IAsyncEnumerable<JsonObject> StartClusterAsync(ClusterInfo cluster, CancellationToken cancellationToken);

    /// <summary>Stops a cluster's scheduler (and anything else the backend started for it). Stopping a stopped cluster is a no-op.</summary>
    public abstract Task StopClusterAsync(ClusterInfo cluster, CancellationToken cancellationToken);

    /// <summary>Whether each of these starting clusters is still alive (false fails it).</summary>
    public virtual Task<IReadOnlyList<bool>> CheckClustersAsync(IReadOnlyList<ClusterInfo> clusters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        return Task.FromResult<IReadOnlyList<bool>>([.. clusters.Select(_ => true)]);
    }

    /// <summary>Starts a worker, yielding the backend state as it grows.</summary>
    public abstract IAsyncEnumerable<JsonObject> StartWorkerAsync(WorkerInfo worker, CancellationToken cancellationToken);

    /// <summary>Stops a worker. Stopping a stopped worker is a no-op.</summary>
    public abstract Task StopWorkerAsync(WorkerInfo worker, CancellationToken cancellationToken);

    /// <summary>Whether each of these workers is still alive (false fails it).</summary>
    public virtual Task<IReadOnlyList<bool>> CheckWorkersAsync(IReadOnlyList<WorkerInfo> workers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        return Task.FromResult<IReadOnlyList<bool>>([.. workers.Select(_ => true)]);
    }

    /// <summary>
    /// Why a scheduler (<paramref name="worker"/> null) or a worker that a check found dead stopped,
    /// for the cluster's events (for example its exit code and the end of its log); null when unknown.
    /// </summary>
    public virtual Task<string?> DescribeFailureAsync(ClusterInfo cluster, WorkerInfo? worker, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    /// <summary>
    /// Whether a scheduler of <paramref name="cluster"/> may report <paramref name="host"/> (an IP
    /// address, IPv6 without brackets, or a DNS name) in its heartbeat's scheduler, dashboard and API
    /// addresses. The scheduler runs the user's code, while the gateway routes users' connections and
    /// browsers to these addresses and sends the cluster's token to the API one: a backend should
    /// accept only the hosts it starts schedulers on. A refused heartbeat is answered 422 and
    /// recorded in the cluster's events; its addresses are never used.
    /// </summary>
    /// <remarks>
    /// Scheme, port and form are checked before this is asked. The default, for backends whose
    /// schedulers run on hosts the gateway cannot know in advance (batch queues), refuses only
    /// addresses no scheduler listens on: unspecified, multicast, and link-local, where cloud
    /// metadata services answer.
    /// </remarks>
    public virtual bool IsSchedulerHost(ClusterInfo cluster, string host)
    {
        if (!System.Net.IPAddress.TryParse(host, out var address))
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var bytes = address.GetAddressBytes();
        var isLinkLocal = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? bytes[0] == 169 && bytes[1] == 254 : address.IsIPv6LinkLocal;
        var isUnspecified = address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any);
        var isMulticast = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? bytes[0] is >= 224 and <= 239 : address.IsIPv6Multicast;
        return !isLinkLocal && !isUnspecified && !isMulticast;
    }

    /// <summary>
    /// Tells the gateway that a scheduler (<paramref name="workerName"/> null) or worker may have
    /// ended, so that it checks now instead of at its next periodic check.
    /// </summary>
    protected void NotifyMayHaveExited(string clusterName, string? workerName = null) => ExitObserver?.Invoke(clusterName, workerName);

    /// <summary>
    /// What <see cref="NotifyMayHaveExited"/> calls: set by the gateway that hosts this backend (its
    /// reconciler) when it starts; a backend never sets it.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Action<string, string?>? ExitObserver { get; set; }
}
