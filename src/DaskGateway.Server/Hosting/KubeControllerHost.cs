using System.Globalization;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Backends.Kubernetes.Controller;
using DaskGateway.Configuration;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaskGateway.Hosting;

/// <summary>
/// <c>dask-gateway-server kube-controller</c>: reconciles DaskCluster resources into pods
/// (protocol.md §8.5) and answers <c>GET /api/health</c> on <c>KubeController.Address</c>.
/// </summary>
internal static class KubeControllerHost
{
    private const string Command = "dask-gateway-server kube-controller";

    /// <summary>Reads the <c>KubeController</c> section and checks what the controller needs.</summary>
    /// <exception cref="ConfigurationException">The configuration has errors; all of them are listed.</exception>
    public static KubeControllerSettings Load(GatewayConfig config, ConfigurableTypes types, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var binder = new SettingsBinder(config, types);
        binder.Validate(errors);
        var settings = binder.Create<KubeControllerSettings>(typeof(KubeControllerSettings), errors);
        if (!ListenAddress.TryParse(settings.Address, out _, out var addressError))
        {
            Add(config, errors, nameof(KubeControllerSettings.Address), addressError);
        }

        if (settings.GatewayInstance.Length == 0)
        {
            Add(config, errors, nameof(KubeControllerSettings.GatewayInstance), "is required (or $GATEWAY_INSTANCE): the gateway whose DaskClusters to reconcile");
        }

        if (settings.ApiUrl.Length == 0)
        {
            Add(config, errors, nameof(KubeControllerSettings.ApiUrl), "is required: the URL schedulers use to reach the gateway's API, ending in /api");
        }

        if (!GatewayLogging.TryParseLevel(settings.LogLevel, out _))
        {
            Add(config, errors, nameof(KubeControllerSettings.LogLevel), $"'{settings.LogLevel}' is not a log level; use DEBUG, INFO, WARN or ERROR");
        }

        if (settings.LeaseRenewDeadline >= settings.LeaseDuration)
        {
            Add(config, errors, nameof(KubeControllerSettings.LeaseRenewDeadline), "must be shorter than LeaseDuration, so that a leader stops acting before another may start");
        }

        errors.ThrowIfAny();
        return settings;
    }

    public static WebApplication Build(KubeControllerSettings settings, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "dask-gateway-kube-controller" });
        builder.WebHost.UseKestrelCore();
        var address = ListenAddress.Parse(settings.Address);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            PublicListeners.Listen(kestrel, address, _ => { });
        });
        builder.Logging.ClearProviders();
        (configureLogging ?? GatewayLogging.AddConsole)(builder.Logging);
        builder.Logging.SetMinimumLevel(GatewayLogging.ParseLevel(settings.LogLevel));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(_ => KubeClientFactory.Create(settings.KubeconfigPath, settings.K8sApiRateLimit, settings.K8sApiRateLimitBurst));
        builder.Services.AddSingleton(provider => new KubeController(settings, provider.GetRequiredService<k8s.IKubernetes>(), provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<KubeControllerService>();

        var app = builder.Build();
        app.Run(context =>
        {
            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path == "/api/health")
            {
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync("""{"status": "pass"}""");
            }

            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }

    /// <summary>Runs the controller until it is stopped (Ctrl+C, SIGTERM); the exit code.</summary>
    public static async Task<int> RunAsync(StartupArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        KubeControllerSettings settings;
        try
        {
            var types = GatewayConfigurationLoader.BuiltInTypes();
            var config = GatewayStartup.LoadConfig(arguments, types, out _);
            settings = Load(config, types, arguments.FlagErrors);
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"{Command}: {e.Message}");
            return 1;
        }

        await using var app = Build(settings);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or k8s.Exceptions.KubeConfigException)
        {
            await Console.Error.WriteLineAsync($"{Command}: failed to start: {e.Message}");
            return 1;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).First();
        var health = GatewayHost.Normalize(address, ListenAddress.Parse(settings.Address));
        var version = typeof(KubeControllerHost).Assembly.GetName().Version?.ToString(3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Dask Gateway kube-controller {version} listening: health {health.ToString().TrimEnd('/')}/api/health; instance {settings.GatewayInstance}"));
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static void Add(GatewayConfig config, ConfigErrors errors, string setting, string message)
    {
        config.TryGet("KubeController", setting, out var recorded);
        errors.Add(message, recorded?.Source, "KubeController", setting);
    }
}
