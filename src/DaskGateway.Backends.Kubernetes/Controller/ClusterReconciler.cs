using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using DaskGateway.Logging;
using DaskGateway.Security;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// Brings one DaskCluster's objects to what its spec asks (protocol.md §8.5). Everything it
/// decides comes from the watch caches (listed before the first reconciliation) and the pod
/// expectations, never from what an earlier run remembers, so a restarted controller converges
/// without duplicates. API failures are thrown: the work queue retries the cluster with backoff.
/// </summary>
internal sealed partial class ClusterReconciler
{
    /// <summary>
    /// The most worker pods created at once. Batches double from one (a bad template fails one
    /// pod, not hundreds) up to this, so a large scale-up never fires thousands of requests together.
    /// </summary>
    internal const int MaxPodCreationBatch = 64;

    private readonly IKubernetes _client;
    private readonly ResourceWatcher<DaskClusterResource> _clusters;
    private readonly ResourceWatcher<V1Pod> _pods;
    private readonly ResourceWatcher<V1Endpoints> _endpoints;
    private readonly ClusterManifests _manifests;
    private readonly ClusterConfigReader _configReader = new();
    private readonly ClusterCredentialFactory _credentials;
    private readonly PodExpectations _expectations;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Clusters whose unknown config keys were already reported (once each, not every reconciliation).
    private readonly ConcurrentDictionary<string, bool> _warnedUnknownKeys = new(StringComparer.Ordinal);

    public ClusterReconciler(
        IKubernetes client,
        ResourceWatcher<DaskClusterResource> clusters,
        ResourceWatcher<V1Pod> pods,
        ResourceWatcher<V1Endpoints> endpoints,
        ClusterManifests manifests,
        ClusterCredentialFactory credentials,
        PodExpectations expectations,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _client = client;
        _clusters = clusters;
        _pods = pods;
        _endpoints = endpoints;
        _manifests = manifests;
        _credentials = credentials;
        _expectations = expectations;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task ReconcileAsync(string key, CancellationToken cancellationToken)
    {
        var (@namespace, name) = ClusterKey.Split(key);
        var cluster = _clusters.Get(@namespace, name);
        if (cluster is null)
        {
            _expectations.Forget(key);
            _expectations.Forget(SchedulerExpectationKey(key));
            _warnedUnknownKeys.TryRemove(key, out _);
            return;
        }

        var before = JsonSerializer.Serialize(cluster.Status);
        var status = JsonSerializer.Deserialize<DaskClusterStatus>(before) ?? new DaskClusterStatus();
        var wasCompleted = IsCompleted(cluster.Status);
        try
        {
            await ReconcileAsync(key, cluster, status, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Progress made before a failure (a created Secret, a new phase) is recorded too.
            if (!cancellationToken.IsCancellationRequested && JsonSerializer.Serialize(status) != before)
            {
                await PatchStatusAsync(cluster, status, cancellationToken).ConfigureAwait(false);
            }
        }

        // Objects are removed only once the final phase and its reason are recorded: removing them
        // first would leave a retried run (after a conflict) to see a deleted scheduler instead of
        // why it stopped. A run after a crash in between finds the scheduler pod still there.
        if (IsCompleted(status) && (!wasCompleted || _pods.Get(cluster.Metadata.NamespaceProperty, DaskClusterNames.SchedulerPod(cluster.Metadata.Name)) is not null))
        {
            await CleanUpAsync(cluster, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsCompleted(DaskClusterStatus? status) => status?.Phase is DaskClusterNames.PhaseStopped or DaskClusterNames.PhaseFailed;

    // The scheduler's expectation is kept apart from the workers', which are counted.
    private static string SchedulerExpectationKey(string key) => key + "/scheduler";

    private async Task ReconcileAsync(string key, DaskClusterResource cluster, DaskClusterStatus status, CancellationToken cancellationToken)
    {
        var @namespace = cluster.Metadata.NamespaceProperty;
        var name = cluster.Metadata.Name;
        if (status.Phase is DaskClusterNames.PhaseStopped or DaskClusterNames.PhaseFailed)
        {
            return;
        }

        if (cluster.Spec.Active == false)
        {
            Complete(status, DaskClusterNames.PhaseStopped, "Stopped", "The cluster was stopped");
            LogStopped(key);
            return;
        }

        var config = _configReader.TryRead(cluster.Spec.Config, out var problems, out var unknownKeys);
        if (config is null)
        {
            Fail(key, status, $"Invalid cluster config: {string.Join("; ", problems)}");
            return;
        }

        if (unknownKeys.Count > 0 && _warnedUnknownKeys.TryAdd(key, true))
        {
            LogUnknownConfigKeys(key, unknownKeys);
        }

        status.Phase ??= DaskClusterNames.PhasePending;
        var schedulerName = DaskClusterNames.SchedulerPod(name);
        var scheduler = _pods.Get(@namespace, schedulerName);
        var schedulerKey = SchedulerExpectationKey(key);
        if (scheduler is not null)
        {
            _expectations.Forget(schedulerKey);
        }
        else if (_expectations.IsCreationExpected(schedulerKey, schedulerName))
        {
            return;
        }

        if (status.Phase == DaskClusterNames.PhasePending)
        {
            if (status.Credentials is null)
            {
                await CreateSecretAsync(cluster, cancellationToken).ConfigureAwait(false);
                status.Credentials = DaskClusterNames.CredentialsSecret(name);
            }

            if (scheduler is null)
            {
                if (status.SchedulerPod is not null)
                {
                    Fail(key, status, "The scheduler pod was deleted");
                    return;
                }

                var created = await CreateIgnoringConflictAsync(_manifests.SchedulerPod(cluster, config), cancellationToken).ConfigureAwait(false);
                _expectations.ExpectCreated(schedulerKey, created);
                status.SchedulerPod = schedulerName;
                ClusterStatusEvents.Append(status, _timeProvider.GetUtcNow(), "Pending", "Scheduler pod created");
                return;
            }
        }

        if (scheduler is null)
        {
            Fail(key, status, "The scheduler pod was deleted");
            return;
        }

        if (PodStates.SchedulerTermination(scheduler) is { } reason)
        {
            Fail(key, status, reason);
            return;
        }

        // The host the scheduler's heartbeats may report; the gateway refuses any other.
        if (scheduler.Status?.PodIP is { Length: > 0 } podIP)
        {
            status.SchedulerPodIP = podIP;
        }

        if (status.Phase == DaskClusterNames.PhasePending)
        {
            if (PodStates.ContainerState(scheduler, DaskClusterNames.SchedulerComponent)?.Running is null)
            {
                return;
            }

            if (status.Service is null)
            {
                await IgnoreConflictAsync(
                    _client.CoreV1.CreateNamespacedServiceAsync(_manifests.Service(cluster, scheduler), @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
                status.Service = DaskClusterNames.Service(name);
            }

            if (!PodStates.IsReady(_endpoints.Get(@namespace, DaskClusterNames.Service(name))))
            {
                return;
            }

            status.Phase = DaskClusterNames.PhaseRunning;
            ClusterStatusEvents.Append(status, _timeProvider.GetUtcNow(), "Running", "The scheduler is ready");
            LogRunning(key);
        }

        await ScaleAsync(key, cluster, config, scheduler, cancellationToken).ConfigureAwait(false);
    }

    private async Task ScaleAsync(string key, DaskClusterResource cluster, KubeClusterConfig config, V1Pod scheduler, CancellationToken cancellationToken)
    {
        var @namespace = cluster.Metadata.NamespaceProperty;
        var name = cluster.Metadata.Name;
        var cached = _pods.List(pod =>
            pod.Metadata.NamespaceProperty == @namespace
            && PodStates.Label(pod, DaskClusterNames.ClusterLabel) == name
            && PodStates.Label(pod, DaskClusterNames.ComponentLabel) == DaskClusterNames.WorkerComponent);
        var workers = _expectations.Effective(key, cached);

        // Workers that exited (retired by the scheduler, or failed) are removed; they count for nothing.
        foreach (var finished in workers.Where(PodStates.IsFinished))
        {
            await DeletePodAsync(key, finished, cancellationToken).ConfigureAwait(false);
        }

        var active = workers.Where(pod => !PodStates.IsFinished(pod) && pod.Metadata.DeletionTimestamp is null).ToList();
        // The gateway clamps replicas already; a resource written by anyone else is held to the same limit.
        var wanted = Math.Clamp(cluster.Spec.Replicas ?? 0, 0, config.WorkerLimit);
        var missing = wanted - active.Count;
        if (missing > 0)
        {
            LogScalingUp(key, active.Count, wanted);
            var template = _manifests.WorkerPod(cluster, config, scheduler);
            var batch = 1;
            while (missing > 0)
            {
                var count = Math.Min(batch, missing);
                var creations = Enumerable.Range(0, count)
                    .Select(_ => _client.CoreV1.CreateNamespacedPodAsync(template, @namespace, cancellationToken: cancellationToken))
                    .ToList();
                try
                {
                    await Task.WhenAll(creations).ConfigureAwait(false);
                }
                finally
                {
                    foreach (var creation in creations.Where(creation => creation.IsCompletedSuccessfully))
                    {
                        _expectations.ExpectCreated(key, creation.Result);
                    }
                }

                missing -= count;
                batch = Math.Min(batch * 2, MaxPodCreationBatch);
            }
        }
        else if (missing < 0)
        {
            // Only pending workers are deleted, and exactly the surplus of them (upstream deletes
            // "all but the last n", protocol.md §12.18). Running workers are retired by the scheduler.
            var surplus = active
                .Where(pod => pod.Status?.Phase is null or "Pending")
                .OrderByDescending(pod => pod.Metadata.CreationTimestamp ?? DateTime.MaxValue)
                .ThenByDescending(pod => pod.Metadata.Name, StringComparer.Ordinal)
                .Take(-missing)
                .ToList();
            if (surplus.Count > 0)
            {
                LogScalingDown(key, active.Count, wanted, surplus.Count);
            }

            foreach (var pod in surplus)
            {
                await DeletePodAsync(key, pod, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CreateSecretAsync(DaskClusterResource cluster, CancellationToken cancellationToken)
    {
        var credentials = await _credentials.CreateAsync(cluster.Metadata.Name, cancellationToken).ConfigureAwait(false);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await IgnoreConflictAsync(
            _client.CoreV1.CreateNamespacedSecretAsync(_manifests.Secret(cluster, credentials, token), cluster.Metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private async Task<V1Pod> CreateIgnoringConflictAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CoreV1.CreateNamespacedPodAsync(pod, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (KubeApiErrors.IsConflict(e))
        {
            // Created by an earlier attempt whose answer was lost, or not yet in the cache.
            return pod;
        }
    }

    private static async Task IgnoreConflictAsync<T>(Task<T> creation)
    {
        try
        {
            await creation.ConfigureAwait(false);
        }
        catch (Exception e) when (KubeApiErrors.IsConflict(e))
        {
            // Already there.
        }
    }

    private async Task DeletePodAsync(string key, V1Pod pod, CancellationToken cancellationToken)
    {
        _expectations.ExpectDeleted(key, pod.Metadata.Name);
        await IgnoreNotFoundAsync(_client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static async Task IgnoreNotFoundAsync<T>(Task<T> deletion)
    {
        try
        {
            await deletion.ConfigureAwait(false);
        }
        catch (Exception e) when (KubeApiErrors.IsNotFound(e))
        {
            // Already gone.
        }
    }

    // The scheduler pod owns the Service and the workers, the cluster owns the Secret: deleting
    // both lets garbage collection take the rest.
    private async Task CleanUpAsync(DaskClusterResource cluster, CancellationToken cancellationToken)
    {
        var @namespace = cluster.Metadata.NamespaceProperty;
        var name = cluster.Metadata.Name;
        await IgnoreNotFoundAsync(_client.CoreV1.DeleteNamespacedPodAsync(DaskClusterNames.SchedulerPod(name), @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await IgnoreNotFoundAsync(_client.CoreV1.DeleteNamespacedSecretAsync(DaskClusterNames.CredentialsSecret(name), @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private void Fail(string key, DaskClusterStatus status, string reason)
    {
        LogFailed(key, reason);
        Complete(status, DaskClusterNames.PhaseFailed, "Failed", reason);
    }

    private void Complete(DaskClusterStatus status, string phase, string eventKind, string message)
    {
        var now = _timeProvider.GetUtcNow();
        status.Phase = phase;
        status.CompletionTime = DateTime.SpecifyKind(new DateTime(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % TimeSpan.TicksPerSecond)), DateTimeKind.Utc);
        ClusterStatusEvents.Append(status, now, eventKind, message);
    }

    private async Task PatchStatusAsync(DaskClusterResource cluster, DaskClusterStatus status, CancellationToken cancellationToken)
    {
        // The status is computed from the cached object; the resource version makes the API server
        // refuse (409) to write it over a newer one the cache has not seen yet, and the retry reads
        // the newer one. Without it a lagging cache would erase what the last run recorded.
        object[] patch =
        [
            new { op = "add", path = "/metadata/resourceVersion", value = cluster.Metadata.ResourceVersion },
            new { op = "add", path = "/status", value = status },
        ];
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.JsonPatch),
            DaskClusterResource.Group,
            DaskClusterResource.Version,
            cluster.Metadata.NamespaceProperty,
            DaskClusterResource.Plural,
            cluster.Metadata.Name,
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerRunning, Level = LogLevel.Information, Message = "Cluster {Key} is running")]
    private partial void LogRunning(string key);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerStopped, Level = LogLevel.Information, Message = "Cluster {Key} stopped")]
    private partial void LogStopped(string key);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerFailed, Level = LogLevel.Warning, Message = "Cluster {Key} failed: {Reason}")]
    private partial void LogFailed(string key, string reason);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerUnknownConfigKeys, Level = LogLevel.Warning, Message = "Cluster {Key}: ignoring unknown config keys {Keys}")]
    private partial void LogUnknownConfigKeys(string key, IReadOnlyList<string> keys);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerScalingUp, Level = LogLevel.Information, Message = "Cluster {Key}: scaling up from {Active} to {Wanted} workers")]
    private partial void LogScalingUp(string key, int active, int wanted);

    [LoggerMessage(EventId = GatewayEventIds.ClusterReconcilerScalingDown, Level = LogLevel.Information, Message = "Cluster {Key}: scaling down from {Active} to {Wanted} workers, deleting {Deleting} pending")]
    private partial void LogScalingDown(string key, int active, int wanted, int deleting);
}
