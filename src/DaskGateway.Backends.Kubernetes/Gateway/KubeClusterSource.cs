using System.Globalization;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes.Gateway;

/// <summary>
/// The clusters of the Kubernetes backend (protocol.md §8.5, §4.10): each is a DaskCluster resource
/// that the controller brings up. The gateway answers from its <see cref="KubeClusterCache"/> and
/// changes clusters by writing their resources; workers are the controller's.
/// </summary>
internal sealed partial class KubeClusterSource : IClusterSource
{
    private static readonly string Version = typeof(KubeClusterSource).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly KubeBackend _backend;
    private readonly IKubernetes _client;
    private readonly KubeClusterCache _cache;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<KubeClusterSource> _logger;

    public KubeClusterSource(KubeBackend backend, IKubernetes client, KubeClusterCache cache, TimeProvider timeProvider, ILogger<KubeClusterSource> logger)
    {
        _backend = backend;
        _client = client;
        _cache = cache;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public string StateDescription => $"DaskCluster resources labelled {DaskClusterNames.InstanceSelector(_backend.GatewayInstance)}";

    public Task LoadAsync(CancellationToken cancellationToken) => _cache.StartAsync(cancellationToken);

    public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken) => Task.CompletedTask;

    // Clusters live in their resources and outlive this gateway; a restarted one watches them again.
    public Task StopAsync(CancellationToken cancellationToken) => _cache.StopAsync();

    public IReadOnlyList<ClusterState> List(string? username) => [.. _cache.List(username).Select(_cache.Snapshot)];

    public async ValueTask<ClusterState?> FindAsync(string name, CancellationToken cancellationToken) =>
        await _cache.FindAsync(name, cancellationToken) is { } resource ? _cache.Snapshot(resource) : null;

    public async Task WaitUntilReadyAsync(string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _cache.NextChangeOf(name);
            if (_cache.Cached(name) is not { } resource || _cache.IsReady(resource))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask<string?> GetTokenAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        await _cache.FindAsync(cluster.Name, cancellationToken) is { } resource ? (await _cache.SecretOfAsync(resource, cancellationToken))?.Token : null;

    public async Task<IReadOnlyList<ClusterEvent>> GetEventsAsync(ClusterState cluster, CancellationToken cancellationToken) =>
        await _cache.FindAsync(cluster.Name, cancellationToken) is { } resource ? KubeClusterView.EventsOf(resource) : [];

    public async Task<ClusterResult<string>> CreateAsync(ClusterRequest request, CancellationToken cancellationToken)
    {
        var kubeConfig = (KubeClusterConfig)request.Config;
        var resourceName = Guid.NewGuid().ToString("N");
        var resource = new DaskClusterResource
        {
            Metadata = new V1ObjectMeta
            {
                Name = resourceName,
                NamespaceProperty = kubeConfig.Namespace,
                Labels = Labels(resourceName),
                Annotations = new Dictionary<string, string>(_backend.CommonAnnotations),
            },
            Spec = new DaskClusterSpec
            {
                Username = request.User.Name,
                // Written as the database backend writes them, floats as floats (1.0, not 1), so that both answer the same options.
                Options = JsonNode.Parse(ClusterRecords.ToJson(request.Options)) as JsonObject ?? [],
                Config = ClusterConfigJson.Write(request.Config),
            },
        };

        DaskClusterResource? created;
        try
        {
            created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync<DaskClusterResource>(
                resource, DaskClusterResource.Group, DaskClusterResource.Version, kubeConfig.Namespace, DaskClusterResource.Plural, cancellationToken: _cache.Stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failedUser = LogText.Escape(request.User.Name);
            LogCreateFailed(e, failedUser, kubeConfig.Namespace);
            return ClusterError.BackendUnavailable($"Failed to create the cluster: the Kubernetes API server answered {Describe(e)}");
        }

        var name = DaskClusterNames.ClusterName(kubeConfig.Namespace, resourceName);
        _cache.RememberConfig(name, request.Config);
        _cache.RememberCreated(created);
        var shownUser = LogText.Escape(request.User.Name);
        LogCreated(name, shownUser);
        return name;
    }

    public async Task<ClusterError?> StopAsync(ClusterState cluster, string reason, CancellationToken cancellationToken)
    {
        if (await _cache.FindAsync(cluster.Name, _cache.Stopping) is not { } resource || resource.Spec.Active == false)
        {
            return null;
        }

        // Before the patch, while the cached resource version is still the current one: the reason
        // (who stopped it, or which limit) is in the timeline as on the database backends.
        await RecordEventAsync(cluster, "stopping", reason, cancellationToken);
        var patch = new V1Patch("""[{"op": "add", "path": "/spec/active", "value": false}]""", V1Patch.PatchType.JsonPatch);
        if (await PatchAsync(resource, patch) is { } failure)
        {
            return failure;
        }

        _cache.RemoveRoutes(cluster.Name);
        var shownReason = LogText.Escape(reason);
        LogStopRequested(cluster.Name, shownReason);
        return null;
    }

    public async Task<ClusterError?> SetWorkerCountAsync(ClusterState cluster, int count, CancellationToken cancellationToken)
    {
        // The scheduler took the new count: the controller starts workers now rather than after its heartbeat.
        if (await _cache.FindAsync(cluster.Name, cancellationToken) is { } resource)
        {
            await PatchReplicasAsync(resource, count);
        }

        return null;
    }

    // Pods are the controller's to watch: a scheduler that stopped answering is seen there.
    public Task OnSchedulerUnreachableAsync(ClusterState cluster, CancellationToken cancellationToken) => Task.CompletedTask;

    public bool IsSchedulerHost(ClusterState cluster, string host) =>
        _cache.Cached(cluster.Name) is { } resource && KubeClusterCache.IsSchedulerHost(resource, host);

    /// <summary>
    /// Adds the event to the cluster's timeline (the status events the controller keeps), never beyond
    /// the status's bound. The resource version makes the API server refuse to write over a status the
    /// cache has not seen; the event is then left unrecorded.
    /// </summary>
    public async Task RecordEventAsync(ClusterState cluster, string kind, string message, CancellationToken cancellationToken)
    {
        if (_cache.Cached(cluster.Name) is not { } resource)
        {
            return;
        }

        var events = resource.Status?.Events ?? [];
        if (events.Count >= DaskClusterNames.MaxStatusEvents)
        {
            return;
        }

        var entry = new DaskClusterEvent { Time = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), Kind = kind, Message = message };
        object change = resource.Status is null
            ? new { op = "add", path = "/status", value = new DaskClusterStatus { Events = [entry] } }
            : new { op = "add", path = "/status/events", value = (IList<DaskClusterEvent>)[.. events, entry] };
        object[] patch = [new { op = "add", path = "/metadata/resourceVersion", value = resource.Metadata.ResourceVersion }, change];
        try
        {
            await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.JsonPatch),
                DaskClusterResource.Group, DaskClusterResource.Version, resource.Metadata.NamespaceProperty, DaskClusterResource.Plural, resource.Metadata.Name,
                cancellationToken: _cache.Stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var failure = Describe(e);
            LogEventNotRecorded(cluster.Name, failure);
        }
    }

    /// <summary>Heartbeats only carry the worker count here (protocol.md §3.5): it becomes <c>spec.replicas</c>.</summary>
    public async Task OnHeartbeatAsync(ClusterState cluster, Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        if (await _cache.FindAsync(cluster.Name, _cache.Stopping) is { } resource && resource.Spec.Replicas != heartbeat.Count)
        {
            await PatchReplicasAsync(resource, heartbeat.Count);
        }
    }

    private async Task PatchReplicasAsync(DaskClusterResource resource, int count)
    {
        var patch = new V1Patch(
            string.Create(CultureInfo.InvariantCulture, $$"""[{"op": "add", "path": "/spec/replicas", "value": {{count}}}]"""),
            V1Patch.PatchType.JsonPatch);
        await PatchAsync(resource, patch);
    }

    /// <summary>Patches the resource; a resource that is gone is not an error (it was stopped and cleaned up).</summary>
    private async Task<ClusterError?> PatchAsync(DaskClusterResource resource, V1Patch patch)
    {
        try
        {
            var patched = await _client.CustomObjects.PatchNamespacedCustomObjectAsync<DaskClusterResource>(
                patch, DaskClusterResource.Group, DaskClusterResource.Version, resource.Metadata.NamespaceProperty, DaskClusterResource.Plural, resource.Metadata.Name,
                cancellationToken: _cache.Stopping);
            _cache.RememberPatched(patched);
            return null;
        }
        catch (Exception e) when (KubeApiErrors.IsNotFound(e))
        {
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var name = KubeClusterView.NameOf(resource);
            LogPatchFailed(e, name);
            return ClusterError.BackendUnavailable($"Failed to update cluster {name}: the Kubernetes API server answered {Describe(e)}");
        }
    }

    private Dictionary<string, string> Labels(string resourceName) => new(_backend.CommonLabels)
    {
        [DaskClusterNames.NameLabel] = DaskClusterNames.AppName,
        [DaskClusterNames.VersionLabel] = Version,
        [DaskClusterNames.InstanceLabel] = _backend.GatewayInstance,
        [DaskClusterNames.ClusterLabel] = resourceName,
    };

    private static string Describe(Exception exception) =>
        KubeApiErrors.StatusOf(exception) is { } status ? $"{(int)status} {status}" : exception.Message;

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterSourceCreated, Level = LogLevel.Information, Message = "Cluster {ClusterName} requested by {UserName}")]
    private partial void LogCreated(string clusterName, string userName);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterSourceCreateFailed, Level = LogLevel.Error, Message = "Creating a DaskCluster for {UserName} in namespace {Namespace} failed")]
    private partial void LogCreateFailed(Exception exception, string userName, string @namespace);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterSourceStopRequested, Level = LogLevel.Information, Message = "Stop of cluster {ClusterName} requested: {Reason}")]
    private partial void LogStopRequested(string clusterName, string reason);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterSourcePatchFailed, Level = LogLevel.Error, Message = "Updating the DaskCluster of {ClusterName} failed")]
    private partial void LogPatchFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterSourceEventNotRecorded, Level = LogLevel.Debug, Message = "Could not add an event to the timeline of cluster {ClusterName}: {Reason}")]
    private partial void LogEventNotRecorded(string clusterName, string reason);
}
