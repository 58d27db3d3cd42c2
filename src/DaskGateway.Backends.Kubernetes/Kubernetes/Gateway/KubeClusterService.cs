using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Json;
using DaskGateway.Logging;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// The API's clusters on Kubernetes (protocol.md §8.5, §4.10): each is a DaskCluster resource
/// that the controller brings up. The gateway watches those resources, answers from its cache,
/// reads each cluster's credentials Secret once, and routes running clusters through its proxy.
/// </summary>
internal sealed partial class KubeClusterService : IClusterService, IClusterLifecycle, IAsyncDisposable
{
    private static readonly string Version = typeof(KubeClusterService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    private static readonly System.Buffers.SearchValues<char> ServiceNameCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private readonly KubeBackend _backend;
    private readonly IKubernetes _client;
    private readonly ClusterRequests _requests;
    private readonly IClusterConfigFactory _configFactory;
    private readonly ISchedulerClient _schedulers;
    private readonly IRouteSink _routes;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<KubeClusterService> _logger;
    private readonly ResourceWatcher<DaskClusterResource> _watcher;
    private readonly ConcurrentDictionary<string, ClusterSecret> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClusterConfig> _configs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _routed = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public KubeClusterService(
        KubeBackend backend,
        IKubernetes client,
        ClusterRequests requests,
        IClusterConfigFactory configFactory,
        ISchedulerClient schedulers,
        IRouteSink routes,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory)
    {
        _backend = backend;
        _client = client;
        _requests = requests;
        _configFactory = configFactory;
        _schedulers = schedulers;
        _routes = routes;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<KubeClusterService>();
        _watcher = new ResourceWatcher<DaskClusterResource>(
            ResourceWatchSources.DaskClusters(client, null, DaskClusterNames.InstanceSelector(backend.GatewayInstance)),
            loggerFactory.CreateLogger<ResourceWatcher<DaskClusterResource>>(),
            timeProvider: timeProvider);
        _watcher.Subscribe(OnChange);
    }

    public string StateDescription => $"DaskCluster resources labelled {DaskClusterNames.InstanceSelector(_backend.GatewayInstance)}";

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        // Routes of running clusters are in place before the gateway serves.
        _watcher.Start();
        await _watcher.WaitForSyncAsync(cancellationToken);
    }

    public Task StartAsync(string privateApiUrl, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Clusters live in their resources and outlive this gateway; a restarted one watches them again.
        await _stopping.CancelAsync();
        await _watcher.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(CancellationToken.None);
        }

        _stopping.Dispose();
    }

    public Task<ApiResult<Options>> GetOptionsAsync(User user) => _requests.GetOptionsAsync(user);

    public async Task<ApiResult<string>> CreateAsync(User user, object? requestedOptions)
    {
        var prepared = await _requests.PrepareAsync(user, requestedOptions);
        if (prepared.Error is { } error)
        {
            return error;
        }

        var (options, config) = prepared.Value!;
        var kubeConfig = (KubeClusterConfig)config;
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
                Username = user.Name,
                Options = JsonSerializer.SerializeToNode(options) as JsonObject ?? [],
                Config = ClusterConfigJson.Write(config),
            },
        };

        try
        {
            await _client.CustomObjects.CreateNamespacedCustomObjectAsync(
                resource, DaskClusterResource.Group, DaskClusterResource.Version, kubeConfig.Namespace, DaskClusterResource.Plural, cancellationToken: _stopping.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCreateFailed(e, LogText.Escape(user.Name), kubeConfig.Namespace);
            return Unavailable($"Failed to create the cluster: the Kubernetes API server answered {Describe(e)}");
        }

        var name = DaskClusterNames.ClusterName(kubeConfig.Namespace, resourceName);
        _configs[name] = config;
        var shownName = LogText.Escape(user.Name);
        LogCreated(name, shownName);
        return name;
    }

    public IReadOnlyList<ClusterSnapshot> List(User user, IReadOnlySet<ClusterStatus>? statuses)
    {
        var result = new List<ClusterSnapshot>();
        foreach (var resource in _watcher.List(r => r.Spec.Username == user.Name))
        {
            var snapshot = Snapshot(resource);
            if (statuses is null ? snapshot.IsActive : statuses.Contains(snapshot.Status))
            {
                result.Add(snapshot.SeenBy(user));
            }
        }

        return result;
    }

    public async Task<ApiResult<ClusterSnapshot>> GetAsync(User user, string name, bool wait, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        var resource = found.Value!;
        if (wait)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ClusterManager.WaitTimeout);
            try
            {
                while (true)
                {
                    // Subscribe before looking, so that a change in between is not missed.
                    var changed = ChangeOf(name);
                    resource = _watcher.Get(resource.Metadata.NamespaceProperty, resource.Metadata.Name!) ?? resource;
                    if (IsReady(resource))
                    {
                        break;
                    }

                    await changed.WaitAsync(timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The client polls again; returning the current state is the protocol.
            }
        }

        return Snapshot(resource).SeenBy(user);
    }

    public async Task<ApiError?> StopAsync(User? user, string name)
    {
        var found = await FindAsync(name, _stopping.Token);
        if (found is null)
        {
            return null;
        }

        if (user is not null && !MayAccess(user, found))
        {
            return ApiError.Forbidden(user.Name, "stop", name);
        }

        if (found.Spec.Active == false)
        {
            return null;
        }

        var patch = new V1Patch("""[{"op": "add", "path": "/spec/active", "value": false}]""", V1Patch.PatchType.JsonPatch);
        if (await PatchAsync(found, patch) is { } failure)
        {
            return failure;
        }

        RemoveRoutes(name);
        var requester = user is null ? "its scheduler" : LogText.Escape(user.Name);
        LogStopRequested(name, requester);
        return null;
    }

    public async Task<ApiResult<ScaleReply>> ScaleAsync(User user, string name, int count, CancellationToken cancellationToken)
    {
        var found = await FindRunningForUserAsync(user, name, cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        var resource = found.Value!;
        (count, var reply) = ClusterRequests.LimitScale(ConfigOf(resource), count);
        if (await ForwardAsync(resource, ClusterRequests.ScaleBody(count), cancellationToken) is { } forwardError)
        {
            return forwardError;
        }

        // The scheduler took the new count: the controller starts workers now rather than after its heartbeat.
        await PatchReplicasAsync(resource, count);
        return reply;
    }

    public async Task<ApiResult<ScaleReply>> AdaptAsync(User user, string name, AdaptRequest request, CancellationToken cancellationToken)
    {
        var found = await FindRunningForUserAsync(user, name, cancellationToken);
        if (found.Error is { } error)
        {
            return error;
        }

        var (limited, reply) = ClusterRequests.LimitAdapt(ConfigOf(found.Value!), request);
        return await ForwardAsync(found.Value!, ClusterRequests.AdaptBody(limited), cancellationToken) ?? (ApiResult<ScaleReply>)reply;
    }

    public async ValueTask<ClusterTokenCheck> CheckClusterTokenAsync(string name, string token, CancellationToken cancellationToken)
    {
        var resource = await FindAsync(name, cancellationToken);
        if (resource is null)
        {
            return ClusterTokenCheck.UnknownCluster;
        }

        var secret = await SecretOfAsync(resource, cancellationToken);
        return secret is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(secret.Token))
            ? ClusterTokenCheck.Valid
            : ClusterTokenCheck.Invalid;
    }

    public async Task<ApiResult<IReadOnlyList<ClusterEvent>>> GetEventsAsync(User user, string name, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        return found.Error is { } error ? error : (ApiResult<IReadOnlyList<ClusterEvent>>)KubeClusterView.EventsOf(found.Value!).ToList();
    }

    /// <summary>Heartbeats only carry the worker count here (protocol.md §3.5): it becomes <c>spec.replicas</c>; workers are the controller's.</summary>
    public async Task<ApiError?> OnHeartbeatAsync(string name, Heartbeat heartbeat)
    {
        var resource = await FindAsync(name, _stopping.Token);
        if (resource is null || !KubeClusterView.IsActive(resource))
        {
            return null;
        }

        if (SchedulerAddress.FindProblem(heartbeat, host => IsSchedulerHost(resource, host)) is { } problem)
        {
            LogAddressesRefused(name, problem);
            await RecordRefusalAsync(resource, problem);
            return ApiError.Unprocessable(problem);
        }

        var count = Math.Min(heartbeat.Count, ConfigOf(resource).WorkerLimit);
        if (resource.Spec.Replicas != count)
        {
            await PatchReplicasAsync(resource, count);
        }

        return null;
    }

    /// <summary>
    /// Where a scheduler of this cluster may say it listens: its pod's IP, as the controller
    /// recorded it, or its Service's name. The gateway itself always reaches the scheduler through
    /// the Service, so a refused address would never have been contacted; refusing it tells the
    /// scheduler's operator that something else reports for this cluster.
    /// </summary>
    private static bool IsSchedulerHost(DaskClusterResource resource, string host)
    {
        var serviceHost = $"{ServiceOf(resource)}.{resource.Metadata.NamespaceProperty}";
        return (resource.Status?.SchedulerPodIP is { Length: > 0 } podIP && host == podIP)
            || host == serviceHost
            || host == serviceHost + ".svc"
            || host.StartsWith(serviceHost + ".svc.", StringComparison.Ordinal);
    }

    /// <summary>
    /// Adds the refusal to the cluster's timeline (the status events the controller keeps), once per
    /// reason in a row and never beyond the status's bound. The resource version makes the API server
    /// refuse to write over a status the cache has not seen; the refusal is then left unrecorded
    /// until the scheduler repeats it.
    /// </summary>
    private async Task RecordRefusalAsync(DaskClusterResource resource, string problem)
    {
        var events = resource.Status?.Events ?? [];
        if (events.Count >= DaskClusterNames.MaxStatusEvents || (events.Count > 0 && events[^1].Kind == SchedulerAddress.RefusedEventKind && events[^1].Message == problem))
        {
            return;
        }

        var entry = new DaskClusterEvent { Time = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), Kind = SchedulerAddress.RefusedEventKind, Message = problem };
        object change = resource.Status is null
            ? new { op = "add", path = "/status", value = new DaskClusterStatus { Events = [entry] } }
            : new { op = "add", path = "/status/events", value = (IList<DaskClusterEvent>)[.. events, entry] };
        object[] patch = [new { op = "add", path = "/metadata/resourceVersion", value = resource.Metadata.ResourceVersion }, change];
        try
        {
            await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.JsonPatch),
                DaskClusterResource.Group, DaskClusterResource.Version, resource.Metadata.NamespaceProperty, DaskClusterResource.Plural, resource.Metadata.Name,
                cancellationToken: _stopping.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var name = KubeClusterView.NameOf(resource);
            var reason = Describe(e);
            LogRefusalNotRecorded(name, reason);
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
    private async Task<ApiError?> PatchAsync(DaskClusterResource resource, V1Patch patch)
    {
        try
        {
            await _client.CustomObjects.PatchNamespacedCustomObjectAsync(
                patch, DaskClusterResource.Group, DaskClusterResource.Version, resource.Metadata.NamespaceProperty, DaskClusterResource.Plural, resource.Metadata.Name,
                cancellationToken: _stopping.Token);
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
            return Unavailable($"Failed to update cluster {name}: the Kubernetes API server answered {Describe(e)}");
        }
    }

    private async Task<ApiError?> ForwardAsync(DaskClusterResource resource, string body, CancellationToken cancellationToken)
    {
        var name = KubeClusterView.NameOf(resource);
        var secret = await SecretOfAsync(resource, cancellationToken);
        if (secret is null)
        {
            return ApiError.NotRunning(name);
        }

        var addresses = AddressesOf(resource);
        return await _schedulers.SendAsync(addresses.Api, secret.Token, body, cancellationToken)
            ? null
            : new ApiError(502, $"The scheduler of cluster {name} did not accept the request; try again shortly");
    }

    private async Task<ApiResult<DaskClusterResource>> FindRunningForUserAsync(User user, string name, CancellationToken cancellationToken)
    {
        var found = await FindForUserAsync(user, name, "view", cancellationToken);
        if (found.Error is not null)
        {
            return found;
        }

        return KubeClusterView.StatusOf(found.Value!) == ClusterStatus.Running ? found : ApiError.NotRunning(name);
    }

    private async Task<ApiResult<DaskClusterResource>> FindForUserAsync(User user, string name, string action, CancellationToken cancellationToken)
    {
        var resource = await FindAsync(name, cancellationToken);
        if (resource is null)
        {
            return ApiError.NotFound(name);
        }

        return MayAccess(user, resource) ? resource : ApiError.Forbidden(user.Name, action, name);
    }

    /// <summary>
    /// The cluster's resource from the cache, else from the API server: a cluster created a moment
    /// ago may not have reached the watch yet. Names that cannot be a cluster's are not looked up.
    /// </summary>
    private async Task<DaskClusterResource?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (!DaskClusterNames.TrySplitClusterName(name, out var @namespace, out var resourceName))
        {
            return null;
        }

        if (_watcher.Get(@namespace, resourceName) is { } cached)
        {
            return cached;
        }

        try
        {
            var element = await _client.CustomObjects.GetNamespacedCustomObjectAsync<DaskClusterResource>(
                DaskClusterResource.Group, DaskClusterResource.Version, @namespace, DaskClusterResource.Plural, resourceName, cancellationToken);
            return element?.Metadata.Labels?.TryGetValue(DaskClusterNames.InstanceLabel, out var instance) == true && instance == _backend.GatewayInstance
                ? element
                : null;
        }
        catch (Exception e) when (KubeApiErrors.IsNotFound(e) || KubeApiErrors.StatusOf(e) == System.Net.HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    private ClusterSnapshot Snapshot(DaskClusterResource resource) =>
        KubeClusterView.Snapshot(resource, _secrets.TryGetValue(KubeClusterView.NameOf(resource), out var secret) ? secret.Credentials : null);

    /// <summary>Ready for a waiting client: running with its credentials read, or no longer active.</summary>
    private bool IsReady(DaskClusterResource resource) =>
        !KubeClusterView.IsActive(resource)
        || (KubeClusterView.StatusOf(resource) == ClusterStatus.Running && _secrets.ContainsKey(KubeClusterView.NameOf(resource)));

    private Task ChangeOf(string name) =>
        _changes.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void SignalChange(string name)
    {
        if (_changes.TryRemove(name, out var waiting))
        {
            waiting.TrySetResult();
        }
    }

    private ClusterConfig ConfigOf(DaskClusterResource resource)
    {
        var name = KubeClusterView.NameOf(resource);
        return _configs.GetOrAdd(name, _ =>
        {
            var config = _configFactory.Create(_backend.ClusterConfigClass, JsonValues.ToDictionary(resource.Spec.Config), out var errors);
            if (errors.Count > 0)
            {
                LogConfigProblems(name, LogText.Escape(string.Join("; ", errors)));
            }

            return config;
        });
    }

    private async Task<ClusterSecret?> SecretOfAsync(DaskClusterResource resource, CancellationToken cancellationToken)
    {
        var name = KubeClusterView.NameOf(resource);
        if (_secrets.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var secretName = resource.Status?.Credentials ?? DaskClusterNames.CredentialsSecret(resource.Metadata.Name ?? "");
        V1Secret secret;
        try
        {
            secret = await _client.CoreV1.ReadNamespacedSecretAsync(secretName, resource.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (KubeApiErrors.IsNotFound(e))
        {
            // The controller has not made it yet.
            return null;
        }

        if (ClusterSecret.TryRead(secret, out var read))
        {
            _secrets[name] = read;
            return read;
        }

        LogMalformedSecret(name, secretName);
        return null;
    }

    /// <summary>On the watcher's loop: keep routes and waiting clients up to date, and read credentials in the background.</summary>
    private void OnChange(ResourceChange<DaskClusterResource> change)
    {
        var resource = change.Object;
        var name = KubeClusterView.NameOf(resource);
        if (change.Kind == ResourceChangeKind.Deleted)
        {
            RemoveRoutes(name);
            _secrets.TryRemove(name, out _);
            _configs.TryRemove(name, out _);
            SignalChange(name);
            return;
        }

        if (!KubeClusterView.IsActive(resource))
        {
            RemoveRoutes(name);
            SignalChange(name);
            return;
        }

        if (KubeClusterView.StatusOf(resource) == ClusterStatus.Running && !_secrets.ContainsKey(name))
        {
            _ = ReadCredentialsThenRouteAsync(resource);
            return;
        }

        Route(resource);
        SignalChange(name);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A background read must not fault unobserved; the next change retries it.")]
    private async Task ReadCredentialsThenRouteAsync(DaskClusterResource resource)
    {
        var name = KubeClusterView.NameOf(resource);
        try
        {
            await SecretOfAsync(resource, _stopping.Token);
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            LogCredentialsFailed(e, name);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Route(_watcher.Get(resource.Metadata.NamespaceProperty, resource.Metadata.Name!) ?? resource);
        SignalChange(name);
    }

    private void Route(DaskClusterResource resource)
    {
        var name = KubeClusterView.NameOf(resource);
        if (KubeClusterView.StatusOf(resource) != ClusterStatus.Running || !_secrets.ContainsKey(name) || !_routed.TryAdd(name, true))
        {
            return;
        }

        var addresses = AddressesOf(resource);
        _routes.AddClusterRoutes(name, addresses.Scheduler, addresses.Dashboard);
        var shownAddress = LogText.Escape(addresses.Scheduler);
        LogRouted(name, shownAddress);
    }

    private void RemoveRoutes(string name)
    {
        if (_routed.TryRemove(name, out _))
        {
            _routes.RemoveClusterRoutes(name);
        }
    }

    private KubeClusterAddresses AddressesOf(DaskClusterResource resource) =>
        _backend.ClusterAddresses(resource.Metadata.NamespaceProperty ?? "", ServiceOf(resource));

    /// <summary>The cluster's Service as its status names it, if that is a Service name at all (DNS-1035 label); else the one the controller makes.</summary>
    private static string ServiceOf(DaskClusterResource resource) =>
        resource.Status?.Service is { Length: > 0 and <= 63 } service && char.IsAsciiLetterLower(service[0]) && service[^1] != '-'
            && !service.AsSpan().ContainsAnyExcept(ServiceNameCharacters)
            ? service
            : DaskClusterNames.Service(resource.Metadata.Name ?? "");

    private Dictionary<string, string> Labels(string resourceName) => new(_backend.CommonLabels)
    {
        [DaskClusterNames.NameLabel] = DaskClusterNames.AppName,
        [DaskClusterNames.VersionLabel] = Version,
        [DaskClusterNames.InstanceLabel] = _backend.GatewayInstance,
        [DaskClusterNames.ClusterLabel] = resourceName,
    };

    private static bool MayAccess(User user, DaskClusterResource resource) => user.Admin || user.Name == resource.Spec.Username;

    private static ApiError Unavailable(string message) => new(503, message);

    private static string Describe(Exception exception) =>
        KubeApiErrors.StatusOf(exception) is { } status ? $"{(int)status} {status}" : exception.Message;

    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Cluster {ClusterName} requested by {UserName}")]
    private partial void LogCreated(string clusterName, string userName);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "Creating a DaskCluster for {UserName} in namespace {Namespace} failed")]
    private partial void LogCreateFailed(Exception exception, string userName, string @namespace);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Stop of cluster {ClusterName} requested by {Requester}")]
    private partial void LogStopRequested(string clusterName, string requester);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Error, Message = "Updating the DaskCluster of {ClusterName} failed")]
    private partial void LogPatchFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "The config of cluster {ClusterName} has settings this gateway cannot apply: {Problems}")]
    private partial void LogConfigProblems(string clusterName, string problems);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Warning, Message = "The credentials Secret {SecretName} of cluster {ClusterName} lacks dask.crt, dask.pem or api-token")]
    private partial void LogMalformedSecret(string clusterName, string secretName);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Warning, Message = "Reading the credentials of cluster {ClusterName} failed; retrying at its next change")]
    private partial void LogCredentialsFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = 4209, Level = LogLevel.Debug, Message = "Could not add a refused heartbeat to the events of cluster {ClusterName}: {Reason}")]
    private partial void LogRefusalNotRecorded(string clusterName, string reason);

    [LoggerMessage(EventId = 4208, Level = LogLevel.Warning, Message = "Refused a heartbeat of cluster {ClusterName}: {Problem}")]
    private partial void LogAddressesRefused(string clusterName, string problem);

    [LoggerMessage(EventId = 4207, Level = LogLevel.Information, Message = "Cluster {ClusterName} is running; routing to {SchedulerAddress}")]
    private partial void LogRouted(string clusterName, string schedulerAddress);
}
