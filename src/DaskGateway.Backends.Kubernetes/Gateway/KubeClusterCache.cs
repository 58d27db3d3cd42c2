using System.Collections.Concurrent;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes.Gateway;

/// <summary>
/// What the gateway knows of its DaskCluster resources: a watch of them, each cluster's credentials
/// (read once from its Secret) and config, and signals for clients waiting on a change. Running
/// clusters are routed through the gateway's proxy as the watch reports them.
/// </summary>
internal sealed partial class KubeClusterCache : IAsyncDisposable
{
    private static readonly System.Buffers.SearchValues<char> ServiceNameCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");

    private readonly KubeBackend _backend;
    private readonly IKubernetes _client;
    private readonly IClusterConfigFactory _configFactory;
    private readonly IRouteSink _routes;
    private readonly ILogger<KubeClusterCache> _logger;
    private readonly ResourceWatcher<DaskClusterResource> _watcher;
    private readonly ConcurrentDictionary<string, ClusterSecret> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ClusterConfig> _configs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _routed = new(StringComparer.Ordinal);

    // Resources read from the API server before the watch delivered them, until it does.
    private readonly ConcurrentDictionary<string, DaskClusterResource> _fetched = new(StringComparer.Ordinal);

    // Resources as this gateway's own patches left them, until the watch delivers that version:
    // a user who stopped a cluster sees it stopping at once, as on the database backend.
    private readonly ConcurrentDictionary<string, DaskClusterResource> _patched = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public KubeClusterCache(KubeBackend backend, IKubernetes client, IClusterConfigFactory configFactory, IRouteSink routes, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _backend = backend;
        _client = client;
        _configFactory = configFactory;
        _routes = routes;
        _logger = loggerFactory.CreateLogger<KubeClusterCache>();
        _watcher = new ResourceWatcher<DaskClusterResource>(
            ResourceWatchSources.DaskClusters(client, null, DaskClusterNames.InstanceSelector(backend.GatewayInstance)),
            loggerFactory.CreateLogger<ResourceWatcher<DaskClusterResource>>(),
            timeProvider: timeProvider);
        _watcher.Subscribe(OnChange);
    }

    /// <summary>Cancelled when the gateway stops.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Routes of running clusters are in place before the gateway serves.
        _watcher.Start();
        await _watcher.WaitForSyncAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
            await _watcher.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    /// <summary>
    /// The clusters the watch reported, then those created or read a moment ago that it has not
    /// delivered yet, so that a user lists the cluster they just created, as on the database backend.
    /// </summary>
    public IEnumerable<DaskClusterResource> List(string? username)
    {
        bool IsListed(DaskClusterResource resource) => username is null || resource.Spec.Username == username;
        var watched = _watcher.List(IsListed).Select(resource => _patched.TryGetValue(KubeClusterView.NameOf(resource), out var patched) ? patched : resource);
        var notYetWatched = _fetched.Values
            .Where(resource => IsListed(resource) && _watcher.Get(resource.Metadata.NamespaceProperty, resource.Metadata.Name ?? "") is null)
            .OrderBy(resource => resource.Metadata.CreationTimestamp);
        return [.. watched, .. notYetWatched];
    }

    /// <summary>
    /// The cluster's resource from the cache, else from the API server: a cluster created a moment
    /// ago may not have reached the watch yet. Names that cannot be a cluster's are not looked up.
    /// </summary>
    public async Task<DaskClusterResource?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (Cached(name) is { } cached)
        {
            return cached;
        }

        if (!DaskClusterNames.TrySplitClusterName(name, out var @namespace, out var resourceName))
        {
            return null;
        }

        try
        {
            var element = await _client.CustomObjects.GetNamespacedCustomObjectAsync<DaskClusterResource>(
                DaskClusterResource.Group, DaskClusterResource.Version, @namespace, DaskClusterResource.Plural, resourceName, cancellationToken);
            if (element?.Metadata.Labels?.TryGetValue(DaskClusterNames.InstanceLabel, out var instance) != true || instance != _backend.GatewayInstance)
            {
                return null;
            }

            _fetched[name] = element;
            return element;
        }
        catch (Exception e) when (KubeApiErrors.IsNotFound(e) || KubeApiErrors.StatusOf(e) == System.Net.HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    /// <summary>A resource this gateway just created, as the API server answered it: known until the watch delivers it.</summary>
    public void RememberCreated(DaskClusterResource? resource)
    {
        if (resource?.Metadata?.Name is { } resourceName && _watcher.Get(resource.Metadata.NamespaceProperty, resourceName) is null)
        {
            _fetched[KubeClusterView.NameOf(resource)] = resource;
        }
    }

    /// <summary>A resource as the API server answered this gateway's patch of it: known until the watch delivers that version.</summary>
    public void RememberPatched(DaskClusterResource? resource)
    {
        if (resource?.Metadata?.Name is not { } resourceName
            || (_watcher.Get(resource.Metadata.NamespaceProperty, resourceName) is { } watched && !IsOlder(watched, resource)))
        {
            return;
        }

        var name = KubeClusterView.NameOf(resource);
        _patched.AddOrUpdate(name, resource, (_, known) => IsOlder(resource, known) ? known : resource);
    }

    /// <summary>The cluster's resource as last seen, without asking the API server.</summary>
    public DaskClusterResource? Cached(string name) =>
        !DaskClusterNames.TrySplitClusterName(name, out var @namespace, out var resourceName) ? null
        : _patched.TryGetValue(name, out var patched) ? patched
        : _watcher.Get(@namespace, resourceName) ?? (_fetched.TryGetValue(name, out var fetched) ? fetched : null);

    /// <summary>Completes at the cluster's next change; take it before looking, so that a change in between is not missed.</summary>
    public Task NextChangeOf(string name) =>
        _changes.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Ready for a waiting client: running with its credentials read, or no longer active.</summary>
    public bool IsReady(DaskClusterResource resource) =>
        !KubeClusterView.IsActive(resource)
        || (KubeClusterView.StatusOf(resource) == ClusterStatus.Running && _secrets.ContainsKey(KubeClusterView.NameOf(resource)));

    public ClusterState Snapshot(DaskClusterResource resource)
    {
        var name = KubeClusterView.NameOf(resource);
        var credentials = _secrets.TryGetValue(name, out var secret) ? secret.Credentials : null;
        return KubeClusterView.Snapshot(resource, credentials, IsReady(resource), ConfigOf(resource), AddressesOf(resource).Api);
    }

    public void RememberConfig(string name, ClusterConfig config) => _configs[name] = config;

    public ClusterConfig ConfigOf(DaskClusterResource resource)
    {
        var name = KubeClusterView.NameOf(resource);
        return _configs.GetOrAdd(name, _ =>
        {
            var config = _configFactory.Create(_backend.ClusterConfigClass, ClusterConfigJson.Read(resource.Spec.Config), out var errors);
            if (errors.Count > 0)
            {
                LogConfigProblems(name, LogText.Escape(string.Join("; ", errors)));
            }

            return config;
        });
    }

    public async Task<ClusterSecret?> SecretOfAsync(DaskClusterResource resource, CancellationToken cancellationToken)
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

    /// <summary>
    /// Where a scheduler of this cluster may say it listens: its pod's IP, as the controller
    /// recorded it, or its Service's name. The gateway itself always reaches the scheduler through
    /// the Service, so a refused address would never have been contacted; refusing it tells the
    /// scheduler's operator that something else reports for this cluster.
    /// </summary>
    public static bool IsSchedulerHost(DaskClusterResource resource, string host)
    {
        var serviceHost = $"{ServiceOf(resource)}.{resource.Metadata.NamespaceProperty}";
        return (resource.Status?.SchedulerPodIP is { Length: > 0 } podIP && host == podIP)
            || host == serviceHost
            || host == serviceHost + ".svc"
            || host.StartsWith(serviceHost + ".svc.", StringComparison.Ordinal);
    }

    public KubeClusterAddresses AddressesOf(DaskClusterResource resource) =>
        _backend.ClusterAddresses(resource.Metadata.NamespaceProperty ?? "", ServiceOf(resource));

    public void RemoveRoutes(string name)
    {
        if (_routed.TryRemove(name, out _))
        {
            _routes.RemoveClusterRoutes(name);
        }
    }

    /// <summary>On the watcher's loop: keep routes and waiting clients up to date, and read credentials in the background.</summary>
    private void OnChange(ResourceChange<DaskClusterResource> change)
    {
        var resource = change.Object;
        var name = KubeClusterView.NameOf(resource);
        _fetched.TryRemove(name, out _);
        if (_patched.TryGetValue(name, out var patched) && (change.Kind == ResourceChangeKind.Deleted || !IsOlder(resource, patched)))
        {
            _patched.TryRemove(KeyValuePair.Create(name, patched));
        }
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

    /// <summary>
    /// Whether <paramref name="resource"/> is an older version than <paramref name="than"/>. Resource
    /// versions are opaque to clients; the API server's are integers, and one that is not counts as
    /// newer, so that the watch's version wins.
    /// </summary>
    private static bool IsOlder(DaskClusterResource resource, DaskClusterResource than) =>
        long.TryParse(resource.Metadata.ResourceVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
        && long.TryParse(than.Metadata.ResourceVersion, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var other)
        && version < other;

    private void SignalChange(string name)
    {
        if (_changes.TryRemove(name, out var waiting))
        {
            waiting.TrySetResult();
        }
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

    /// <summary>The cluster's Service as its status names it, if that is a Service name at all (DNS-1035 label); else the one the controller makes.</summary>
    private static string ServiceOf(DaskClusterResource resource) =>
        resource.Status?.Service is { Length: > 0 and <= 63 } service && char.IsAsciiLetterLower(service[0]) && service[^1] != '-'
            && !service.AsSpan().ContainsAnyExcept(ServiceNameCharacters)
            ? service
            : DaskClusterNames.Service(resource.Metadata.Name ?? "");

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterCacheConfigProblems, Level = LogLevel.Warning, Message = "The config of cluster {ClusterName} has settings this gateway cannot apply: {Problems}")]
    private partial void LogConfigProblems(string clusterName, string problems);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterCacheMalformedSecret, Level = LogLevel.Warning, Message = "The credentials Secret {SecretName} of cluster {ClusterName} lacks dask.crt, dask.pem or api-token")]
    private partial void LogMalformedSecret(string clusterName, string secretName);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterCacheCredentialsFailed, Level = LogLevel.Warning, Message = "Reading the credentials of cluster {ClusterName} failed; retrying at its next change")]
    private partial void LogCredentialsFailed(Exception exception, string clusterName);

    [LoggerMessage(EventId = GatewayEventIds.KubeClusterCacheRouted, Level = LogLevel.Information, Message = "Cluster {ClusterName} is running; routing to {SchedulerAddress}")]
    private partial void LogRouted(string clusterName, string schedulerAddress);
}
