using System.Globalization;
using DaskGateway.Configuration;
using DaskGateway.Proxy.Http;
using DaskGateway.Proxy.Routing;

namespace DaskGateway.Hosting;

/// <summary>
/// <c>dask-gateway-server proxy</c>: the public listeners alone, for several proxies in front of one
/// API server (design.md §2). Routes come from the API server's route API (<see cref="RouteFollower"/>);
/// requests for the API itself go to <c>Proxy.GatewayUrl</c>, <c>Proxy.Prefix</c> removed.
/// </summary>
internal static class ProxyHost
{
    /// <summary>
    /// Reads the <c>Proxy</c> section (and the log level) and checks what a standalone proxy needs;
    /// also <c>Authenticator.CookieName</c>, the API server's cookie that dashboards must not receive
    /// (without it, any cookie of the random per-process form is withheld).
    /// </summary>
    /// <exception cref="ConfigurationException">The configuration has errors; all of them are listed.</exception>
    public static (ProxySettings Proxy, string LogLevel, string AuthCookieName) Load(GatewayConfig config, ConfigurableTypes types, ConfigErrors errors)
    {
        var binder = new SettingsBinder(config, types);
        binder.Validate(errors);
        var gateway = binder.Create<GatewaySettings>(typeof(GatewaySettings), errors);
        var proxy = binder.Create<ProxySettings>(typeof(ProxySettings), errors);
        if (!ListenAddress.TryParse(proxy.Address, out _, out var addressError))
        {
            Add(config, errors, nameof(ProxySettings.Address), addressError);
        }

        foreach (var (setting, message) in proxy.Validate())
        {
            Add(config, errors, setting, message);
        }

        if (proxy.GatewayUrl.Length == 0)
        {
            Add(config, errors, nameof(ProxySettings.GatewayUrl), "is required: the URL of the API server whose routes the proxy follows");
        }

        if (proxy.ApiToken.Length == 0 && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ProxySettings.TokenVariable)))
        {
            Add(config, errors, nameof(ProxySettings.ApiToken), $"is required (or ${ProxySettings.TokenVariable}): the API server's route API token");
        }

        if (proxy.Prefix.Length > 0 && !proxy.Prefix.StartsWith('/'))
        {
            Add(config, errors, nameof(ProxySettings.Prefix), $"'{proxy.Prefix}' must start with '/'");
        }

        if (!GatewayLogging.TryParseLevel(gateway.LogLevel, out _))
        {
            errors.Add($"'{gateway.LogLevel}' is not a log level; use DEBUG, INFO, WARN or ERROR", null, "DaskGateway", nameof(GatewaySettings.LogLevel));
        }

        errors.ThrowIfAny();
        proxy.Prefix = proxy.Prefix.TrimEnd('/');
        var cookieName = config.TryGet("Authenticator", nameof(Auth.Authenticator.CookieName), out var recorded) || config.TryGet("Authenticator", "cookie_name", out recorded)
            ? recorded.Value as string ?? ""
            : "";
        return (proxy, gateway.LogLevel, cookieName);
    }

    public static WebApplication Build(ProxySettings proxy, string logLevel, string authCookieName, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "dask-gateway-proxy" });
        var certificate = PublicListeners.LoadCertificate(proxy);
        builder.WebHost.UseKestrelCore();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            PublicListeners.Configure(kestrel, proxy, certificate);
        });
        builder.Logging.ClearProviders();
        (configureLogging ?? GatewayLogging.AddConsole)(builder.Logging);
        builder.Logging.SetMinimumLevel(GatewayLogging.ParseLevel(logLevel));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        var options = proxy.ToOptions() with { AuthCookieName = authCookieName };
        var gatewayUrl = proxy.GatewayUrl.TrimEnd('/');
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(proxy);
        services.AddDaskGatewayProxy(options);
        services.AddSingleton(new RouteFollowerOptions(new Uri(gatewayUrl + RouteApi.Path), options.ApiToken));
        services.AddSingleton<RouteFollower>();
        services.AddHostedService(provider => provider.GetRequiredService<RouteFollower>());

        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<HttpRouteForwarder>();
        app.Run(context =>
        {
            if (forwarder.TryMatch(context, out var route, out var remaining))
            {
                return forwarder.ForwardAsync(context, route, remaining);
            }

            if (options.Prefix.Length > 0)
            {
                if (!context.Request.Path.StartsWithSegments(options.Prefix, StringComparison.Ordinal, out var rest))
                {
                    return HttpRouteForwarder.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found");
                }

                context.Request.PathBase = options.Prefix;
                context.Request.Path = rest;
            }

            return forwarder.ForwardAsync(context, gatewayUrl);
        });
        return app;
    }

    /// <summary>Runs the proxy until it is stopped (Ctrl+C, SIGTERM); the exit code.</summary>
    public static async Task<int> RunAsync(GatewayConfig config, ConfigurableTypes types, ConfigErrors flagErrors)
    {
        ProxySettings proxy;
        string logLevel;
        string authCookieName;
        try
        {
            (proxy, logLevel, authCookieName) = Load(config, types, flagErrors);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync("dask-gateway-server proxy: " + e.Message);
            return 1;
        }

        await using var app = Build(proxy, logLevel, authCookieName);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or ConfigurationException or IOException)
        {
            await Console.Error.WriteLineAsync("dask-gateway-server proxy: failed to start: " + e.Message);
            return 1;
        }

        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        var publicAddress = GatewayHost.Normalize(addresses[0], ListenAddress.Parse(proxy.Address));
        var version = typeof(ProxyHost).Assembly.GetName().Version?.ToString(3);
        var schedulers = proxy.HasSeparateTcpAddress ? $", schedulers {GatewayHost.Normalize(addresses[1], ListenAddress.Parse(proxy.TcpAddress)).Authority}" : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Dask Gateway proxy {version} listening: public {publicAddress.ToString().TrimEnd('/')}{proxy.Prefix}{schedulers}; following {proxy.GatewayUrl}"));
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static void Add(GatewayConfig config, ConfigErrors errors, string setting, string message)
    {
        config.TryGet("Proxy", setting, out var recorded);
        errors.Add(message, recorded?.Source, "Proxy", setting);
    }
}
