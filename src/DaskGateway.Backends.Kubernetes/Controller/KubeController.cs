using DaskGateway.Logging;
using DaskGateway.Reconciliation;
using DaskGateway.Security;
using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// The <c>kube-controller</c> (protocol.md §8.5): watches DaskClusters, their pods and their
/// Services' Endpoints, and, while it holds the leader Lease, reconciles each changed cluster on
/// a work queue (<c>Parallelism</c> at once, failures retried with backoff) and deletes completed
/// clusters past their maximum age. Watching goes on without the lease so that a new leader starts
/// from warm caches; acting stops as soon as the lease is lost.
/// </summary>
internal sealed partial class KubeController : IAsyncDisposable
{
    private static readonly TimeSpan ExpectationTimeout = TimeSpan.FromSeconds(600);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly KubeControllerSettings _settings;
    private readonly IKubernetes _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ResourceWatcher<DaskClusterResource> _clusters;
    private readonly ResourceWatcher<V1Pod> _pods;
    private readonly ResourceWatcher<V1Endpoints> _endpoints;
    private readonly ClusterCredentialFactory _credentials;
    private readonly ClusterReconciler _reconciler;
    private readonly string _identity;
    private readonly Lock _lock = new();
    private WorkQueue<string>? _queue;
    private Reconciler<string>? _workers;
    private CancellationTokenSource? _leading;
    private Task? _cleanup;
    private long _reconciliations;

    // Work of lost leaderships still winding down.
    private readonly List<Task> _retiring = [];

    public KubeController(KubeControllerSettings settings, IKubernetes client, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null, string? identity = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = settings;
        _client = client;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger<KubeController>();
        _identity = identity ?? $"{System.Environment.MachineName}-{Guid.NewGuid():N}";
        var selector = DaskClusterNames.InstanceSelector(settings.GatewayInstance);
        var watcherLogger = loggerFactory.CreateLogger("DaskGateway.Backends.Kubernetes.ResourceWatcher");
        var baseDelay = TimeSpan.FromSeconds(settings.BackoffBaseDelay);
        var maxDelay = TimeSpan.FromSeconds(Math.Max(settings.BackoffMaxDelay, settings.BackoffBaseDelay));
        _clusters = new ResourceWatcher<DaskClusterResource>(ResourceWatchSources.DaskClusters(client, null, selector), watcherLogger, baseDelay, maxDelay, _timeProvider);
        _pods = new ResourceWatcher<V1Pod>(ResourceWatchSources.Pods(client, null, selector), watcherLogger, baseDelay, maxDelay, _timeProvider);
        _endpoints = new ResourceWatcher<V1Endpoints>(
            ResourceWatchSources.Endpoints(client, null, $"{selector},{DaskClusterNames.ComponentLabel}={DaskClusterNames.SchedulerComponent}"),
            watcherLogger, baseDelay, maxDelay, _timeProvider);
        _credentials = new ClusterCredentialFactory(_timeProvider);
        _reconciler = new ClusterReconciler(
            client, _clusters, _pods, _endpoints, new ClusterManifests(settings), _credentials,
            new PodExpectations(_timeProvider, ExpectationTimeout), _timeProvider, loggerFactory.CreateLogger<ClusterReconciler>());
        _clusters.Subscribe(change => Enqueue(change.Object.Metadata.NamespaceProperty, change.Object.Metadata.Name));
        _pods.Subscribe(change => EnqueueOwner(change.Object.Metadata));
        _endpoints.Subscribe(change => EnqueueOwner(change.Object.Metadata));
    }

    /// <summary>How many reconciliations succeeded (for tests that wait for the controller to act on a change).</summary>
    public long Reconciliations => Interlocked.Read(ref _reconciliations);

    /// <summary>True while this controller holds the lease and acts.</summary>
    public bool IsLeading
    {
        get
        {
            lock (_lock)
            {
                return _leading is not null;
            }
        }
    }

    /// <summary>Watches, then competes for the lease and acts while holding it, until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _clusters.Start();
        _pods.Start();
        _endpoints.Start();
        await Task.WhenAll(
            _clusters.WaitForSyncAsync(cancellationToken),
            _pods.WaitForSyncAsync(cancellationToken),
            _endpoints.WaitForSyncAsync(cancellationToken)).ConfigureAwait(false);

        var leaseLock = new LeaseLock(_client, LeaseNamespace(), LeaseName(), _identity);
        using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = TimeSpan.FromSeconds(_settings.LeaseDuration),
            RenewDeadline = TimeSpan.FromSeconds(_settings.LeaseRenewDeadline),
            RetryPeriod = TimeSpan.FromSeconds(_settings.LeaseRetryPeriod),
        });
        elector.OnStartedLeading += StartActing;
        elector.OnStoppedLeading += StopActing;
        elector.OnError += exception => LogLeaseError(exception);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
#pragma warning disable CA1031 // The election must go on whatever the API server answers.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogLeaseError(e);
                }
                finally
                {
                    StopActing();
                }
            }
        }
        finally
        {
            await StopWorkersAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopWorkersAsync().ConfigureAwait(false);
        await _clusters.DisposeAsync().ConfigureAwait(false);
        await _pods.DisposeAsync().ConfigureAwait(false);
        await _endpoints.DisposeAsync().ConfigureAwait(false);
        _credentials.Dispose();
    }

    private static string ServiceAccountNamespace()
    {
        const string file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : "default";
        }
        catch (IOException)
        {
            return "default";
        }
        catch (UnauthorizedAccessException)
        {
            return "default";
        }
    }

    private string LeaseNamespace() => _settings.LeaseNamespace.Length > 0 ? _settings.LeaseNamespace : ServiceAccountNamespace();

    private string LeaseName() =>
        _settings.GatewayInstance.Length > 0 ? $"dask-gateway-kube-controller-{_settings.GatewayInstance}" : "dask-gateway-kube-controller";

    private void EnqueueOwner(V1ObjectMeta metadata)
    {
        if (metadata.Labels is { } labels && labels.TryGetValue(DaskClusterNames.ClusterLabel, out var cluster))
        {
            Enqueue(metadata.NamespaceProperty, cluster);
        }
    }

    private void Enqueue(string @namespace, string name)
    {
        WorkQueue<string>? queue;
        lock (_lock)
        {
            queue = _queue;
        }

        queue?.Enqueue(ClusterKey.Of(@namespace, name));
    }

    private void StartActing()
    {
        lock (_lock)
        {
            if (_leading is not null)
            {
                return;
            }

            LogStartedLeading(_identity);
            var leading = new CancellationTokenSource();
            var queue = new WorkQueue<string>(
                _timeProvider,
                new Backoff<string>(TimeSpan.FromSeconds(_settings.BackoffBaseDelay), TimeSpan.FromSeconds(Math.Max(_settings.BackoffMaxDelay, _settings.BackoffBaseDelay)), StringComparer.Ordinal),
                StringComparer.Ordinal);
            var token = leading.Token;
            var workers = new Reconciler<string>(queue, (key, aborting) => ReconcileAsync(key, token, aborting), _settings.Parallelism, _logger);
            _leading = leading;
            _queue = queue;
            _workers = workers;
            _ = workers.StartAsync();
            foreach (var cluster in _clusters.List())
            {
                queue.Enqueue(ClusterKey.Of(cluster.Metadata.NamespaceProperty, cluster.Metadata.Name));
            }

            _cleanup = Task.Run(() => CleanUpCompletedLoopAsync(token));
        }
    }

    private async Task ReconcileAsync(string key, CancellationToken leading, CancellationToken aborting)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(leading, aborting);
        await _reconciler.ReconcileAsync(key, both.Token).ConfigureAwait(false);
        Interlocked.Increment(ref _reconciliations);
    }

    // Called by the elector when the lease is lost: stop acting at once (handlers in flight see
    // their token cancelled, the queue takes no more work); waiting for them happens in the background.
    private void StopActing()
    {
        lock (_lock)
        {
            if (_leading is not { } leading)
            {
                return;
            }

            LogStoppedLeading(_identity);
            leading.Cancel();
            _queue?.Close();
            _retiring.Add(RetireAsync(_workers, _cleanup, leading));
            _leading = null;
            _queue = null;
            _workers = null;
            _cleanup = null;
        }
    }

    private async Task StopWorkersAsync()
    {
        StopActing();
        Task[] retiring;
        lock (_lock)
        {
            retiring = [.. _retiring];
            _retiring.Clear();
        }

        await Task.WhenAll(retiring).ConfigureAwait(false);
    }

    private static async Task RetireAsync(Reconciler<string>? workers, Task? cleanup, CancellationTokenSource leading)
    {
        if (workers is not null)
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await workers.StopAsync(timeout.Token).ConfigureAwait(false);
            workers.Dispose();
        }

        if (cleanup is not null)
        {
            await cleanup.ConfigureAwait(false);
        }

        leading.Dispose();
    }

    private async Task CleanUpCompletedLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(_settings.CompletedClusterCleanupPeriod);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await DeleteOldCompletedClustersAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(period, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Tried again next period.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogCleanupFailed(e);
                try
                {
                    await Task.Delay(period, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task DeleteOldCompletedClustersAsync(CancellationToken cancellationToken)
    {
        var cutoff = _timeProvider.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(_settings.CompletedClusterMaxAge);
        var old = _clusters.List(cluster =>
            cluster.Status is { Phase: DaskClusterNames.PhaseStopped or DaskClusterNames.PhaseFailed, CompletionTime: { } completed }
            && completed.ToUniversalTime() <= cutoff);
        foreach (var cluster in old)
        {
            try
            {
                await _client.CustomObjects.DeleteNamespacedCustomObjectAsync(
                    DaskClusterResource.Group, DaskClusterResource.Version, cluster.Metadata.NamespaceProperty, DaskClusterResource.Plural, cluster.Metadata.Name,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                LogDeletedCompleted(cluster.Metadata.NamespaceProperty, cluster.Metadata.Name);
            }
            catch (Exception e) when (KubeApiErrors.IsNotFound(e))
            {
                // Deleted meanwhile.
            }
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.KubeControllerStartedLeading, Level = LogLevel.Information, Message = "Acquired the leader lease as {Identity}; reconciling")]
    private partial void LogStartedLeading(string identity);

    [LoggerMessage(EventId = GatewayEventIds.KubeControllerStoppedLeading, Level = LogLevel.Warning, Message = "Lost the leader lease as {Identity}; no longer reconciling")]
    private partial void LogStoppedLeading(string identity);

    [LoggerMessage(EventId = GatewayEventIds.KubeControllerLeaseError, Level = LogLevel.Warning, Message = "Leader election failed")]
    private partial void LogLeaseError(Exception exception);

    [LoggerMessage(EventId = GatewayEventIds.KubeControllerDeletedCompleted, Level = LogLevel.Information, Message = "Deleted completed cluster {Namespace}/{Name}")]
    private partial void LogDeletedCompleted(string @namespace, string name);

    [LoggerMessage(EventId = GatewayEventIds.KubeControllerCleanupFailed, Level = LogLevel.Warning, Message = "Deleting completed clusters failed")]
    private partial void LogCleanupFailed(Exception exception);
}
