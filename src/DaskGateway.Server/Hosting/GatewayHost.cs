using DaskGateway.Api;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Proxy.Http;
using DaskGateway.Security;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DaskGateway.Hosting;

/// <summary>
/// Builds the gateway's web host: the public listener (<c>Proxy.Address</c>, under
/// <c>Proxy.Prefix</c>: scheduler TLS by SNI, dashboards, the API), optionally a separate scheduler
/// listener (<c>Proxy.TcpAddress</c>), and the private API listener (<c>DaskGateway.Address</c>).
/// </summary>
internal static class GatewayHost
{
    private const string ListenerKey = "DaskGateway.Listener";
    private const string PublicListener = "public";

    public static WebApplication Build(GatewayComponents components, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "dask-gateway-server" });
        var certificate = PublicListeners.LoadCertificate(components.Proxy);
        builder.WebHost.UseKestrelCore();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel => ConfigureListeners(kestrel, components, certificate));
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
        services.AddSingleton(components.Types);
        services.AddSingleton<ClusterRequests>();

        // What every backend module may use (IGatewayBackendModule): one key pool for the whole gateway.
        services.AddSingleton<ClusterCredentialFactory>();
        services.AddSingleton<IClusterCredentialIssuer>(provider => provider.GetRequiredService<ClusterCredentialFactory>());
        components.BackendModule.AddServices(services, components.BackendContext);
        services.AddSingleton<ClusterLifetimes>();
        services.AddSingleton<ClusterApi>();
        var cookieName = string.IsNullOrEmpty(components.Authenticator.CookieName) ? GatewayCookie.NewRandomName() : components.Authenticator.CookieName;
        services.AddDaskGatewayProxy(components.Proxy.ToOptions() with { AuthCookieName = cookieName });
        services.AddHttpClient<ISchedulerClient, SchedulerClient>(http => http.Timeout = TimeSpan.FromSeconds(10));
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(60));
        services.AddSingleton(provider => new AuthCookieCache(
            provider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(components.Authenticator.CacheMaxAge)));
        services.AddDaskGatewayAuthentication(cookieName);
        services.AddSingleton(provider => new UserAuthentication(
            components.Authenticator,
            provider.GetRequiredService<AuthCookieCache>(),
            cookieName,
            components.Proxy.Prefix.TrimEnd('/'),
            components.Gateway.AdminApiToken,
            provider.GetRequiredService<ILogger<UserAuthentication>>()));
        services.AddSingleton<ClusterEndpoints>();
        services.AddSingleton<SchedulerEndpoints>();
        services.AddSingleton<GatewayApi>();
        services.AddSingleton<ApiMiddleware>();
        services.AddHostedService<GatewayLifetime>();
        services.AddHostedService<ClusterLifetimeService>();

        var app = builder.Build();
        var api = app.Services.GetRequiredService<GatewayApi>();
        var apiMiddleware = app.Services.GetRequiredService<ApiMiddleware>();
        var forwarder = app.Services.GetRequiredService<HttpRouteForwarder>();
        var prefix = components.Proxy.Prefix.TrimEnd('/');
        app.Use((context, next) => IsPublic(context) && forwarder.TryMatch(context, out var route, out var remaining)
            ? forwarder.ForwardAsync(context, route, remaining)
            : next(context));
        app.Use((context, next) => StripPublicPrefix(context, prefix) ? next(context) : NotUnderPrefix(context));
        app.Use(apiMiddleware.InvokeAsync);
        app.Run(api.HandleAsync);
        return app;
    }

    /// <summary>How other processes reach the private API: its address, an any-address host replaced by this machine's name.</summary>
    public static string PrivateUrl(Uri privateAddress)
    {
        var host = privateAddress.Host is "0.0.0.0" or "[::]" ? System.Net.Dns.GetHostName() : privateAddress.Host;
        return $"http://{host}:{privateAddress.Port}";
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

        // Kestrel lists the bound addresses in the order they were configured: public first, private last.
        var publicUri = addresses[0];
        var privateUri = addresses[^1];
        return (Normalize(publicUri, publicAddress), Normalize(privateUri, privateAddress));
    }

    /// <summary>The address of scheduler TLS traffic: <c>Proxy.TcpAddress</c>'s listener if there is one, else the public address.</summary>
    public static Uri GetSchedulerAddress(IServiceProvider services)
    {
        var proxy = services.GetRequiredService<ProxySettings>();
        if (!proxy.HasSeparateTcpAddress)
        {
            return GetAddresses(services).Public;
        }

        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        return Normalize(addresses[1], ListenAddress.Parse(proxy.TcpAddress));
    }

    /// <summary>Whether the request came in on the public listener (rather than the private API listener).</summary>
    public static bool IsPublic(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var listener) == true && listener as string == PublicListener;

    internal static Uri Normalize(Uri bound, ListenAddress configured) =>
        configured.IsAnyAddress || bound.Host is "[::]" or "0.0.0.0" ? new Uri($"{bound.Scheme}://{(configured.IsAnyAddress ? "0.0.0.0" : configured.Host)}:{bound.Port}") : bound;

    private static void ConfigureListeners(KestrelServerOptions kestrel, GatewayComponents components, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = (long)components.Gateway.MaxRequestBodySize * RequestBody.DrainFactor;
        PublicListeners.Configure(kestrel, components.Proxy, certificate, listen => listen.Use(next => connection =>
        {
            connection.Items[ListenerKey] = PublicListener;
            return next(connection);
        }));
        PublicListeners.Listen(kestrel, ListenAddress.Parse(components.Gateway.Address), _ => { });
    }

    /// <summary>On the public listener, requests must be under <c>Proxy.Prefix</c>, which is removed.</summary>
    private static bool StripPublicPrefix(HttpContext context, string prefix)
    {
        if (prefix.Length == 0 || !IsPublic(context))
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
