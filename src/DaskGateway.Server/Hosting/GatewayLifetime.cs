using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Logging;
using DaskGateway.Proxy;
using DaskGateway.Proxy.Routing;

namespace DaskGateway.Hosting;

/// <summary>
/// Starts and stops the gateway's parts in order: known clusters are loaded and the authenticator
/// and backend set up before the gateway listens; tracking clusters starts once the private API
/// address is known; at shutdown clusters are stopped (or left for the next start), then
/// everything is cleaned up.
/// </summary>
internal sealed partial class GatewayLifetime : IHostedService
{
    private readonly Authenticator _authenticator;
    private readonly Backend _backend;
    private readonly IClusterSource _clusters;
    private readonly IServiceProvider _services;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<GatewayLifetime> _logger;
    private readonly GatewayComponents _components;
    private Task _reconcilerStarted = Task.CompletedTask;

    public GatewayLifetime(
        Authenticator authenticator,
        Backend backend,
        IClusterSource clusters,
        IServiceProvider services,
        IHostApplicationLifetime lifetime,
        ILogger<GatewayLifetime> logger,
        GatewayComponents components)
    {
        _components = components;
        _authenticator = authenticator;
        _backend = backend;
        _clusters = clusters;
        _services = services;
        _lifetime = lifetime;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        LogStore(_clusters.StateDescription);
        if (_authenticator is SimpleAuthenticator { Password: null } && !ListenAddress.Parse(_components.Proxy.Address).IsLoopback)
        {
            LogOpenWithoutPassword(_components.Proxy.Address);
        }

        await _clusters.LoadAsync(cancellationToken);
        await SetUpAsync(_authenticator, _authenticator.SetupAsync, cancellationToken);
        await SetUpAsync(_backend, _backend.SetupAsync, cancellationToken);
        _lifetime.ApplicationStarted.Register(() => _reconcilerStarted = StartReconcilingAsync());
    }

    /// <summary>Runs a part's set-up; a failure names the class (it may be an extension's).</summary>
    private async Task SetUpAsync(object part, Func<IServiceProvider, CancellationToken, Task> setup, CancellationToken cancellationToken)
    {
        try
        {
            await setup(_services, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && !IsBuiltInRefusal(part, e))
        {
            throw new InvalidOperationException($"{part.GetType().FullName}.SetupAsync failed: {e.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>A built-in part refusing its configuration already says what is wrong, in words for the operator.</summary>
    private static bool IsBuiltInRefusal(object part, Exception exception) =>
        exception is InvalidOperationException or Configuration.ConfigurationException
        && part.GetType().Assembly.GetName().Name?.StartsWith("DaskGateway.", StringComparison.Ordinal) == true;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _reconcilerStarted;
        await _clusters.StopAsync(cancellationToken);
        await _backend.CleanupAsync(cancellationToken);
        await _authenticator.CleanupAsync(cancellationToken);
    }

    private async Task StartReconcilingAsync()
    {
        var (_, privateAddress) = GatewayHost.GetAddresses(_services);

        // The API route (protocol.md §2.4), for standalone proxies that forward the API to this server.
        var proxy = _services.GetRequiredService<ProxyOptions>();
        _services.GetRequiredService<RouteTable>().Put(ProxyRoute.Path(proxy.ApiRoutePath, GatewayHost.PrivateUrl(privateAddress)));
        if (_components.PrivatePortFile is { } portFile)
        {
            PrivateApiPortFile.Save(portFile, privateAddress.Port, _logger);
        }

        var apiUrl = GatewayHost.PrivateUrl(privateAddress) + "/api";
        LogApiUrl(apiUrl);
        await _clusters.StartAsync(apiUrl, _lifetime.ApplicationStopping);
    }

    [LoggerMessage(EventId = GatewayEventIds.GatewayLifetimeStore, Level = LogLevel.Information, Message = "Cluster state: {Store}")]
    private partial void LogStore(string store);

    [LoggerMessage(EventId = GatewayEventIds.GatewayLifetimeOpenWithoutPassword, Level = LogLevel.Warning, Message = "The public address {Address} is reachable from other machines and simple authentication accepts any user with any password: anyone who reaches it can start processes here as this gateway's user. Set SimpleAuthenticator.Password, or choose another authenticator")]
    private partial void LogOpenWithoutPassword(string address);

    [LoggerMessage(EventId = GatewayEventIds.GatewayLifetimeApiUrl, Level = LogLevel.Information, Message = "Private API at {ApiUrl}")]
    private partial void LogApiUrl(string apiUrl);
}
