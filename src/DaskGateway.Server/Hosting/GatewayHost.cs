using System.Net;
using DaskGateway.Api;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Security;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DaskGateway.Hosting;

/// <summary>
/// Builds the gateway's web host: the public listener (<c>Proxy.Address</c>, under
/// <c>Proxy.Prefix</c>) and the private API listener (<c>DaskGateway.Address</c>), both serving the API.
/// </summary>
internal static class GatewayHost
{
    private const string ListenerKey = "DaskGateway.Listener";
    private const string PublicListener = "public";

    public static WebApplication Build(GatewayComponents components, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "dask-gateway-server" });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureListeners(kestrel, components));
        builder.Logging.ClearProviders();
        (configureLogging ?? GatewayLogging.AddConsole)(builder.Logging);
        builder.Logging.SetMinimumLevel(GatewayLogging.ParseLevel(components.Gateway.LogLevel));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(timeProvider ?? TimeProvider.System);
        services.AddSingleton(components);
        services.AddSingleton(components.Gateway);
        services.AddSingleton(components.Proxy);
        services.AddSingleton(components.Authenticator);
        services.AddSingleton(components.Backend);
        services.AddSingleton(components.ClusterConfigFactory);
        services.AddSingleton((DBBackendBase)components.Backend);
        services.AddSingleton(components.Types);
        services.AddSingleton(components.Store);
        services.AddSingleton<ClusterRegistry>();
        services.AddSingleton<ClusterRecords>();
        services.AddSingleton<ClusterCredentialFactory>();
        services.AddSingleton<ClusterReconciler>();
        services.AddSingleton<ClusterManager>();
        services.AddHttpClient<ISchedulerClient, SchedulerClient>(http => http.Timeout = TimeSpan.FromSeconds(10));
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        services.AddSingleton(provider => new AuthCookieCache(
            provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(components.Authenticator.CacheMaxAge)));
        services.AddSingleton(provider => new UserAuthentication(
            components.Authenticator,
            provider.GetRequiredService<AuthCookieCache>(),
            string.IsNullOrEmpty(components.Authenticator.CookieName) ? "dask-gateway-" + Guid.NewGuid().ToString("N") : components.Authenticator.CookieName,
            provider.GetRequiredService<ILogger<UserAuthentication>>()));
        services.AddSingleton<GatewayApi>();
        services.AddHostedService<GatewayLifetime>();

        var app = builder.Build();
        var api = app.Services.GetRequiredService<GatewayApi>();
        var prefix = components.Proxy.Prefix.TrimEnd('/');
        app.Use((context, next) => StripPublicPrefix(context, prefix) ? next(context) : NotUnderPrefix(context));
        app.Run(api.HandleAsync);
        return app;
    }

    /// <summary>The API URL schedulers report to: the configured one, else the private API address.</summary>
    public static string SchedulerApiUrl(DBBackendBase backend, Uri privateAddress)
    {
        if (backend.ApiUrl.Length > 0)
        {
            return backend.ApiUrl.TrimEnd('/');
        }

        var host = privateAddress.Host is "0.0.0.0" or "[::]" ? System.Net.Dns.GetHostName() : privateAddress.Host;
        return $"http://{host}:{privateAddress.Port}/api";
    }

    /// <summary>The addresses the gateway listens on, once started (ports chosen for port 0 included).</summary>
    public static (Uri Public, Uri Private) GetAddresses(WebApplication app) => GetAddresses(app.Services);

    /// <summary>The addresses the gateway listens on, once started.</summary>
    public static (Uri Public, Uri Private) GetAddresses(IServiceProvider services)
    {
        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        var proxy = services.GetRequiredService<ProxySettings>();
        var gateway = services.GetRequiredService<GatewaySettings>();
        var publicAddress = ListenAddress.Parse(proxy.Address);
        var privateAddress = ListenAddress.Parse(gateway.Address);

        // Kestrel lists the bound addresses in the order they were configured: public first.
        var publicUri = addresses[0];
        var privateUri = addresses[^1];
        return (Normalize(publicUri, publicAddress), Normalize(privateUri, privateAddress));
    }

    private static Uri Normalize(Uri bound, ListenAddress configured) =>
        configured.IsAnyAddress || bound.Host is "[::]" or "0.0.0.0" ? new Uri($"http://{(configured.IsAnyAddress ? "0.0.0.0" : configured.Host)}:{bound.Port}") : bound;

    private static void ConfigureListeners(KestrelServerOptions kestrel, GatewayComponents components)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = (long)components.Gateway.MaxRequestBodySize * RequestBody.DrainFactor;
        var publicAddress = ListenAddress.Parse(components.Proxy.Address);
        var privateAddress = ListenAddress.Parse(components.Gateway.Address);
        Listen(kestrel, publicAddress, listen => listen.Use(next => connection =>
        {
            connection.Items[ListenerKey] = PublicListener;
            return next(connection);
        }));
        Listen(kestrel, privateAddress, _ => { });
    }

    private static void Listen(KestrelServerOptions kestrel, ListenAddress address, Action<ListenOptions> configure)
    {
        if (address.IsAnyAddress)
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
        else if (address.Host == "localhost")
        {
            kestrel.Listen(IPAddress.Loopback, address.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address.Host), address.Port, configure);
        }
    }

    /// <summary>On the public listener, requests must be under <c>Proxy.Prefix</c>, which is removed.</summary>
    private static bool StripPublicPrefix(HttpContext context, string prefix)
    {
        if (prefix.Length == 0 || context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var listener) != true || listener as string != PublicListener)
        {
            return true;
        }

        if (!context.Request.Path.StartsWithSegments(prefix, StringComparison.Ordinal, out var remaining))
        {
            return false;
        }

        context.Request.PathBase = prefix;
        context.Request.Path = remaining;
        return true;
    }

    private static Task NotUnderPrefix(HttpContext context) =>
        ApiResponse.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found");
}
