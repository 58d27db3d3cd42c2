using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Hosting;

/// <summary>
/// Turns recorded settings into the configured objects the gateway is built from, checking
/// everything before anything listens and reporting all problems together.
/// </summary>
internal static class GatewayConfigurationLoader
{
    /// <summary>The configurable classes that ship with the gateway.</summary>
    public static ConfigurableTypes BuiltInTypes()
    {
        var types = new ConfigurableTypes();
        types.Register(typeof(GatewaySettings));
        types.Register(typeof(ProxySettings));
        types.Register(typeof(SimpleAuthenticator));
        types.Register(typeof(KerberosAuthenticator));
        types.Register(typeof(JupyterHubAuthenticator));
        types.Register(typeof(UnmanagedBackend));
        types.Register(typeof(LocalBackend));
        types.Register(typeof(UnsafeLocalBackend));
        types.Register(typeof(LocalClusterConfig));
        types.Register(typeof(KubeBackend));
        types.Register(typeof(KubeClusterConfig));
        types.Register(typeof(KubeControllerSettings));
        types.Register(typeof(ClusterConfig));
        return types;
    }

    /// <exception cref="ConfigurationException">The configuration has errors; all of them are listed.</exception>
    /// <param name="config">The recorded settings.</param>
    /// <param name="types">The configurable classes.</param>
    /// <param name="errors">Errors found while recording (malformed flags), reported with the others.</param>
    /// <param name="loggerFactory">Logs of the parts made here that log (the store); by default the console at the configured level.</param>
    public static GatewayComponents Load(GatewayConfig config, ConfigurableTypes types, ConfigErrors? errors = null, ILoggerFactory? loggerFactory = null)
    {
        errors ??= new ConfigErrors();
        var binder = new SettingsBinder(config, types);
        binder.Validate(errors);

        var gateway = binder.Create<GatewaySettings>(typeof(GatewaySettings), errors);
        var proxy = binder.Create<ProxySettings>(typeof(ProxySettings), errors);
        CheckAddress(config, errors, "DaskGateway", nameof(GatewaySettings.Address), gateway.Address);
        CheckAddress(config, errors, "Proxy", nameof(ProxySettings.Address), proxy.Address);
        foreach (var (setting, message) in proxy.Validate())
        {
            Add(config, errors, "Proxy", setting, message);
        }

        if (gateway.ResolveAdminApiToken() is { Length: > 0 } adminToken && (adminToken.Length < GatewaySettings.MinAdminApiTokenLength || !GatewaySettings.IsTokenText(adminToken)))
        {
            // The value is a secret: the message names the problem, never the token.
            Add(config, errors, "DaskGateway", nameof(GatewaySettings.AdminApiToken), $"must be at least {GatewaySettings.MinAdminApiTokenLength} printable characters without spaces (from the setting or {GatewaySettings.AdminApiTokenVariable})");
        }

        if (!GatewayLogging.TryParseLevel(gateway.LogLevel, out _))
        {
            Add(config, errors, "DaskGateway", nameof(GatewaySettings.LogLevel), $"'{gateway.LogLevel}' is not a log level; use DEBUG, INFO, WARN or ERROR");
        }

        if (proxy.Prefix.Length > 0 && !proxy.Prefix.StartsWith('/'))
        {
            Add(config, errors, "Proxy", nameof(ProxySettings.Prefix), $"'{proxy.Prefix}' must start with '/'");
        }

        proxy.Prefix = proxy.Prefix.TrimEnd('/');

        // Classes that cannot be created (an extension whose constructor throws) are reported and
        // checking goes on, so that every problem is listed together.
        var authenticator = binder.TryCreate<Authenticator>(gateway.AuthenticatorClass, errors);
        if (authenticator is { CacheMaxAge: <= 0 })
        {
            Add(config, errors, "Authenticator", nameof(Authenticator.CacheMaxAge), $"must be a positive number of seconds, got {authenticator.CacheMaxAge}");
        }

        var publicBoundToLoopback = false;
        if (authenticator is SimpleAuthenticator { Password: null } && !binder.IsRecorded(typeof(ProxySettings), nameof(ProxySettings.Address))
            && ListenAddress.TryParse(proxy.Address, out var publicAddress, out _) && publicAddress.IsAnyAddress)
        {
            // Anyone who reaches an open gateway can start processes on it: without a password and an
            // address chosen on purpose, only this machine can reach it.
            proxy.Address = (publicAddress with { Host = "127.0.0.1" }).ToString();
            publicBoundToLoopback = true;
        }

        var backend = binder.TryCreate<Backend>(gateway.BackendClass, errors);
        if (backend is not null)
        {
            // A cluster config is made for every new cluster; making one now surfaces configuration
            // mistakes at startup instead of at the first user's request.
            if (binder.TryCreate(backend.ClusterConfigClass, errors) is ClusterConfig clusterConfig)
            {
                foreach (var problem in clusterConfig.Validate())
                {
                    errors.Add(problem, section: ConfigurableTypes.SectionName(backend.ClusterConfigClass));
                }
            }
        }

        IGatewayBackendModule? module = null;
        BackendModuleContext? moduleContext = null;
        string? privatePortFile = null;
        if (backend is not null)
        {
            module = BackendModules.Create(backend, out var moduleProblem);
            if (module is null)
            {
                Add(config, errors, "DaskGateway", nameof(GatewaySettings.BackendClass), moduleProblem);
            }
            else
            {
                loggerFactory ??= LoggerFactory.Create(logging =>
                {
                    GatewayLogging.AddConsole(logging);
                    logging.SetMinimumLevel(GatewayLogging.ParseLevel(gateway.LogLevel));
                });
                var section = SectionOf(config, backend);
                moduleContext = new BackendModuleContext(
                    backend,
                    loggerFactory,
                    (setting, message) => Add(config, errors, section(setting), setting, message),
                    binder.IsRecorded(typeof(GatewaySettings), nameof(GatewaySettings.Address)),
                    errors.HasErrors);
                module.Configure(moduleContext);
                if (moduleContext.PrivateApiPortFile is { } portFile && !moduleContext.IsPrivateApiAddressConfigured
                    && ListenAddress.TryParse(gateway.Address, out var privateAddress, out _) && privateAddress.Port == 0)
                {
                    privatePortFile = portFile;
                    gateway.Address = PrivateApiPortFile.Resolve(privatePortFile, gateway.Address, loggerFactory.CreateLogger("DaskGateway.Hosting"));
                }
            }
        }

        errors.ThrowIfAny();
        return new GatewayComponents(gateway, proxy, authenticator!, backend!, module!, moduleContext!, new BinderClusterConfigFactory(binder), types, publicBoundToLoopback, privatePortFile);
    }

    /// <summary>
    /// The section a backend setting is reported under: where the operator recorded it (a base
    /// class's section such as <c>LocalBackend</c>), else the class that declares the setting.
    /// </summary>
    private static Func<string, string> SectionOf(GatewayConfig config, Backend backend) => setting =>
    {
        foreach (var type in ConfigurableTypes.Hierarchy(backend.GetType()))
        {
            var section = ConfigurableTypes.SectionName(type);
            if (config.TryGet(section, setting, out _))
            {
                return section;
            }
        }

        return ConfigurableTypes.SectionName(backend.GetType().GetProperty(setting)?.DeclaringType ?? backend.GetType());
    };

    private static void CheckAddress(GatewayConfig config, ConfigErrors errors, string section, string setting, string value)
    {
        if (!ListenAddress.TryParse(value, out _, out var error))
        {
            Add(config, errors, section, setting, error);
        }
    }

    private static void Add(GatewayConfig config, ConfigErrors errors, string section, string setting, string message)
    {
        config.TryGet(section, setting, out var recorded);
        errors.Add(message, recorded?.Source, section, setting);
    }

    /// <summary>Makes cluster configs from the configured settings and an options handler's overrides.</summary>
    private sealed class BinderClusterConfigFactory(SettingsBinder binder) : IClusterConfigFactory
    {
        public ClusterConfig Create(Type configClass, IReadOnlyDictionary<string, object?> overrides, out IReadOnlyList<string> errors)
        {
            var problems = new ConfigErrors();
            var config = (ClusterConfig)binder.Create(configClass, problems);
            binder.ApplyOverrides(config, overrides, problems);
            errors = [.. problems.Errors.Select(error => error.Message)];
            return config;
        }
    }
}
