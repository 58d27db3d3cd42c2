using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Proxy.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// A whole gateway in this process, configured through the same settings path as the executable,
/// listening on 127.0.0.1 port 0 for both the public and the private API listener.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LoggedErrors _errors;
    private int _disposed;

    private TestGateway(WebApplication app, LoggedErrors errors, Uri publicAddress, Uri privateAddress, string prefix)
    {
        _app = app;
        _errors = errors;
        PublicAddress = publicAddress;
        PrivateAddress = privateAddress;
        Prefix = prefix;
    }

    public Uri PublicAddress { get; }

    public Uri PrivateAddress { get; }

    public string Prefix { get; }

    /// <summary>The public address with the prefix, ending in '/': what the client is given.</summary>
    public Uri ApiBase => new(PublicAddress, Prefix.TrimEnd('/') + "/");

    /// <summary>The configured backend (an <see cref="InProcessBackend"/> when the test chose it).</summary>
    public T Backend<T>()
        where T : class => (T)(object)_app.Services.GetRequiredService<Backends.Backend>();

    internal ClusterRegistry Registry => _app.Services.GetRequiredService<ClusterRegistry>();

    /// <summary>The public entry point's routes.</summary>
    internal RouteTable Routes => _app.Services.GetRequiredService<RouteTable>();

    /// <summary>Where scheduler TLS traffic goes: the public address, or <c>Proxy.TcpAddress</c>'s listener.</summary>
    public System.Net.IPEndPoint SchedulerEndPoint
    {
        get
        {
            var address = GatewayHost.GetSchedulerAddress(_app.Services);
            return new System.Net.IPEndPoint(System.Net.IPAddress.Parse(address.Host), address.Port);
        }
    }

    /// <summary>The route API token (<c>Proxy.ApiToken</c>, generated unless configured).</summary>
    public string ProxyToken => _app.Services.GetRequiredService<ProxySettings>().ApiToken;

    /// <summary>Fires when the gateway begins to shut down, before its parts are stopped.</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    internal IReadOnlyList<Cluster> ActiveClusters() => [.. Registry.All.Where(c => c.IsActive)];

    public static Task<TestGateway> StartAsync(params (string Setting, object? Value)[] settings) => StartAsync(null, settings);

    public static async Task<TestGateway> StartAsync(TimeProvider? timeProvider, params (string Setting, object? Value)[] settings)
    {
        var config = new GatewayConfig();
        config.Set("DaskGateway", "Address", "127.0.0.1:0", SettingSource.Code);
        config.Set("Proxy", "Address", "127.0.0.1:0", SettingSource.Code);
        config.Set("DaskGateway", "LogLevel", "WARN", SettingSource.Code);
        config.Set("DBBackendBase", "DbUrl", "sqlite:///:memory:", SettingSource.Code);
        config.Set("DaskGateway", "BackendClass", "unmanaged", SettingSource.Code);
        foreach (var (setting, value) in settings)
        {
            var dot = setting.IndexOf('.', StringComparison.Ordinal);
            config.Set(setting[..dot], setting[(dot + 1)..], value, SettingSource.Code);
        }

        var types = GatewayConfigurationLoader.BuiltInTypes();
        types.Register(typeof(InProcessBackend));
        var components = GatewayConfigurationLoader.Load(config, types, loggerFactory: NullLoggerFactory.Instance);
        var errors = new LoggedErrors();
        var app = GatewayHost.Build(components, logging => logging.AddDebug().AddProvider(errors), timeProvider);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var (publicAddress, privateAddress) = GatewayHost.GetAddresses(app);
        return new TestGateway(app, errors, publicAddress, privateAddress, components.Proxy.Prefix);
    }

    /// <summary>What the gateway logged at Error or Critical so far.</summary>
    public IReadOnlyCollection<LogEntry> LoggedErrors => _errors.Entries;

    /// <summary>Declares errors with <paramref name="eventId"/> part of the test: disposal fails on any other logged error.</summary>
    public void ExpectLoggedError(int eventId) => _errors.Expect(e => e.EventId.Id == eventId);

    /// <summary>Declares errors matching <paramref name="isExpected"/> part of the test: disposal fails on any other logged error.</summary>
    public void ExpectLoggedError(Func<LogEntry, bool> isExpected) => _errors.Expect(isExpected);

    public GatewayClient Client(string user, string password = "") => new(ApiBase, user, password);

    /// <summary>The cluster's API token, which only the scheduler knows in real life.</summary>
    internal string TokenOf(string clusterName)
    {
        Assert.True(Registry.TryGet(clusterName, out var cluster));
        return cluster.Token;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();

        // After the stop, which logs too: the whole life of the server is checked.
        _errors.AssertNoneUnexpected();
    }
}
