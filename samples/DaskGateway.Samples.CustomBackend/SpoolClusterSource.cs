using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using DaskGateway.Clusters;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Samples.CustomBackend;

/// <summary>
/// The spool backend's clusters, kept in memory. The gateway has already checked users, options,
/// tokens and heartbeat addresses when it calls here; this class only keeps state, writes requests
/// for the launcher and publishes routes.
/// </summary>
internal sealed partial class SpoolClusterSource : IClusterSource
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private readonly SpoolBackend _backend;
    private readonly IRouteSink _routes;
    private readonly IClusterCredentialIssuer _credentials;
    private readonly TimeProvider _time;
    private readonly ILogger<SpoolClusterSource> _logger;
    private readonly ConcurrentDictionary<string, SpoolCluster> _clusters = new(StringComparer.Ordinal);

    // Clusters may be created before the gateway listens and knows its API URL; their launch
    // requests wait for it rather than telling the scheduler a wrong address.
    private readonly TaskCompletionSource<string> _apiUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SpoolClusterSource(SpoolBackend backend, IRouteSink routes, IClusterCredentialIssuer credentials, TimeProvider time, ILogger<SpoolClusterSource> logger)
    {
        _backend = backend;
        _routes = routes;
        _credentials = credentials;
        _time = time;
        _logger = logger;
    }

    public string StateDescription => $"in memory (forgotten at restart); launch requests in {_backend.Directory}";

    public Task LoadAsync(CancellationToken cancellationToken)
    {
        // Requests hold tokens and private keys: only the gateway's user (and the launcher, if it
        // runs as that user) may read them. Nothing survives a restart, so nothing is loaded.
        System.IO.Directory.CreateDirectory(_backend.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return Task.CompletedTask;
    }

    public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken)
    {
        _apiUrl.TrySetResult(privateApiUrl);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // In-memory clusters cannot be re-adopted by the next start, so none is left running.
        foreach (var cluster in _clusters.Values)
        {
            await StopAsync(cluster.Name, ClusterStatus.Stopped, "the gateway shut down", cancellationToken);
        }
    }

    public IReadOnlyList<ClusterState> List(string? username) =>
        [.. _clusters.Values.Where(cluster => username is null || cluster.Username == username).Select(cluster => cluster.Snapshot())];

    public ValueTask<ClusterState?> FindAsync(string name, CancellationToken cancellationToken) => ValueTask.FromResult(Get(name)?.Snapshot());

    public Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken) => Get(name)?.Ready.Task.WaitAsync(cancellationToken) ?? Task.CompletedTask;

    public ValueTask<string?> GetTokenAsync(ClusterState cluster, CancellationToken cancellationToken) => ValueTask.FromResult(Get(cluster.Name)?.Token);

    public Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        Task.FromResult(Get(cluster.Name)?.Events() ?? []);

    public async Task<ClusterResult<string>> CreateAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        ForgetOldClusters();
        var name = Guid.NewGuid().ToString("N");
        var credentials = await _credentials.IssueAsync(name, cancellationToken);
        var cluster = new SpoolCluster(name, request, RandomNumberGenerator.GetHexString(64, lowercase: true), credentials, Now());
        var apiUrl = await _apiUrl.Task.WaitAsync(cancellationToken);
        var environment = new Dictionary<string, string>(request.Config.Environment, StringComparer.Ordinal)
        {
            // What the scheduler preload reads (protocol.md §3.5).
            ["DASK_GATEWAY_CLUSTER_NAME"] = name,
            ["DASK_GATEWAY_API_URL"] = apiUrl,
            ["DASK_GATEWAY_API_TOKEN"] = cluster.Token,
        };
        try
        {
            await WriteRequestAsync(name, "launch", new LaunchRequest(name, request.User.Name, apiUrl, cluster.Token, credentials.CertificatePem, credentials.PrivateKeyPem, request.Options, environment, request.Config.SchedulerCmd), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The reason names server paths: it is for the operator's log, not for users.
            LogSpoolFailed(name, e.Message);
            return ClusterError.BackendUnavailable("the cluster's launch request could not be written; the gateway's log says why");
        }

        _clusters[name] = cluster;
        cluster.AddEvent(Now(), "created", "launch request written for the launcher");
        return name;
    }

    public async Task<ClusterError?> StopAsync(ClusterState cluster, string reason, CancellationToken cancellationToken) =>
        await StopAsync(cluster.Name, ClusterStatus.Stopped, reason, cancellationToken);

    // The launcher's scheduler starts and stops its own workers (it is told the count in scale
    // requests, which the gateway forwards to it): the gateway has nothing to start here.
    public Task<ClusterError?> SetWorkerCountAsync(ClusterState cluster, int count, CancellationToken cancellationToken) => Task.FromResult<ClusterError?>(null);

    // The gateway retried before calling this: a scheduler that cannot take requests is gone.
    public Task OnSchedulerUnreachableAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        StopAsync(cluster.Name, ClusterStatus.Failed, "the scheduler did not accept a forwarded request", cancellationToken);

    public bool IsSchedulerHost(ClusterState cluster, string host) => _backend.SchedulerHosts.Contains(host, StringComparer.OrdinalIgnoreCase);

    public Task RecordEventAsync(ClusterState cluster, string kind, string message, CancellationToken cancellationToken)
    {
        Get(cluster.Name)?.AddEvent(Now(), kind, message);
        return Task.CompletedTask;
    }

    public Task OnHeartbeatAsync(ClusterState cluster, Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        if (Get(cluster.Name) is { } known && known.ApplyHeartbeat(heartbeat, out var firstOne))
        {
            // Routes follow the addresses: a scheduler the launcher restarted elsewhere reports new ones.
            _routes.AddClusterRoutes(known.Name, heartbeat.SchedulerAddress, heartbeat.DashboardAddress);
            if (firstOne)
            {
                known.AddEvent(Now(), "running", $"the scheduler reported in at {heartbeat.SchedulerAddress}");
                LogRunning(known.Name, heartbeat.SchedulerAddress);
            }
        }

        return Task.CompletedTask;
    }

    private async Task<ClusterError?> StopAsync(string name, ClusterStatus status, string reason, CancellationToken cancellationToken)
    {
        if (Get(name) is not { } cluster || !cluster.TryStop(status, Now()))
        {
            return null;
        }

        // Routes go first: once stopping, nobody should reach the scheduler through the gateway.
        _routes.RemoveClusterRoutes(name);
        cluster.AddEvent(Now(), status == ClusterStatus.Failed ? "failed" : "stopped", reason);
        try
        {
            await WriteRequestAsync(name, "stop", new StopRequest(name, reason), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cluster counts as stopped for the gateway either way; the operator learns from the log.
            LogSpoolFailed(name, e.Message);
        }

        return null;
    }

    /// <summary>
    /// Writes <c>&lt;name&gt;.&lt;kind&gt;.json</c>, owner-only from the first byte, under a temporary
    /// name first: a launcher that polls the directory never sees half a file.
    /// </summary>
    private async Task WriteRequestAsync<T>(string name, string kind, T request, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_backend.Directory, $"{name}.{kind}.json");
        var partial = path + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var file = new FileStream(partial, options))
        {
            await JsonSerializer.SerializeAsync(file, request, Json, cancellationToken);
        }

        File.Move(partial, path, overwrite: true);
    }

    /// <summary>Stopped clusters are listed for a while (clients poll for the final status), then dropped so memory stays bounded.</summary>
    private void ForgetOldClusters()
    {
        var horizon = Now() - (long)(_backend.StoppedClusterRetention * 1000);
        foreach (var cluster in _clusters.Values.Where(cluster => cluster.Snapshot().StopTime < horizon))
        {
            _clusters.TryRemove(cluster.Name, out _);
        }
    }

    private SpoolCluster? Get(string name) => _clusters.TryGetValue(name, out var cluster) ? cluster : null;

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Cluster {ClusterName} is running at {SchedulerAddress}")]
    private partial void LogRunning(string clusterName, string schedulerAddress);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "Could not write a request of cluster {ClusterName} to the spool directory: {Problem}")]
    private partial void LogSpoolFailed(string clusterName, string problem);
}

/// <summary>What the launcher reads from <c>&lt;name&gt;.launch.json</c> (keys in snake_case).</summary>
internal sealed record LaunchRequest(string ClusterName, string Username, string ApiUrl, string ApiToken, string TlsCert, string TlsKey,
    IReadOnlyDictionary<string, object?> Options, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> SchedulerCmd);

/// <summary>What the launcher reads from <c>&lt;name&gt;.stop.json</c>.</summary>
internal sealed record StopRequest(string ClusterName, string Reason);
