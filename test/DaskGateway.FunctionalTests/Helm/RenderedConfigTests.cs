using System.Text;
using DaskGateway.Auth;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Scripting;
using k8s.Models;

namespace DaskGateway.Tests.Helm;

/// <summary>
/// The config scripts the chart renders, loaded by the server's own config loader as a pod would
/// load them: the ConfigMap's files in one directory (the config and the extensions beside it), and
/// the chart's secrets in the environment, taken from the rendered Secret through the references of
/// the rendered Deployment. A template change that breaks a deployment fails here.
/// </summary>
/// <remarks>The tests of this class run one after another (xunit's default within a class), so the environment variables they set do not mix.</remarks>
public sealed class RenderedConfigTests
{
    private const string FullName = HelmChart.ReleaseName;
    private const string ApiName = "api-" + FullName;
    private const string ControllerName = "controller-" + FullName;
    private const string PrivateApiUrl = "http://api-dask-gateway.dask:8001/api";

    /// <summary>The chart's own variables: set from the rendered Deployment. Others (JUPYTERHUB_API_TOKEN) are read by code that other tests run too.</summary>
    private const string ChartVariablePrefix = "DASK_GATEWAY_";

    [Fact]
    public async Task Default_IsTheKubernetesBackendWithSimpleAuthentication_OnThePublicAndPrivatePorts()
    {
        var components = await LoadGatewayAsync("default");

        Assert.Equal(":8000", components.Proxy.Address);
        Assert.Equal("", components.Proxy.TcpAddress);
        Assert.Equal("", components.Proxy.Prefix);
        Assert.Equal(":8001", components.Gateway.Address);
        Assert.Equal("INFO", components.Gateway.LogLevel);
        var backend = Assert.IsType<KubeBackend>(components.Backend);
        Assert.Equal((FullName, PrivateApiUrl), (backend.GatewayInstance, backend.ApiUrl));
        Assert.Null(Assert.IsType<SimpleAuthenticator>(components.Authenticator).Password);
        var cluster = ClusterConfig(components);
        Assert.Equal("dask-gateway:0.1.0", cluster.Image);
        Assert.Empty(cluster.ImagePullSecrets);
        Assert.Equal(new KubeClusterConfig().WorkerMemory, cluster.WorkerMemory);

        // The chart stops forgotten clusters after an idle hour; the server's own default is never.
        Assert.Equal((3600.0, 0.0, 0.0), (cluster.IdleTimeout, cluster.MaxLifetime, cluster.NoClientTimeout));
        Assert.Equal(0, new KubeClusterConfig().IdleTimeout);
    }

    [Fact]
    public async Task UpstreamValues_SetTheClusterSettings_AndThePasswordFromTheSecret()
    {
        var components = await LoadGatewayAsync("upstream");

        Assert.Equal("DEBUG", components.Gateway.LogLevel);
        Assert.Equal("/services/dask-gateway", components.Proxy.Prefix);
        Assert.Equal(":8786", components.Proxy.TcpAddress);
        Assert.Equal("upstream-shared-password", Assert.IsType<SimpleAuthenticator>(components.Authenticator).Password);
        var cluster = ClusterConfig(components);
        Assert.Equal("ghcr.io/dask/dask-gateway:2026.3.0", cluster.Image);
        Assert.Equal("IfNotPresent", cluster.ImagePullPolicy);
        Assert.Equal(["registry-credentials"], cluster.ImagePullSecrets);
        Assert.Equal("dask-clusters", cluster.Namespace);
        Assert.Equal("False", cluster.Environment["DASK_DISTRIBUTED__WORKER__DAEMON"]);
        Assert.Equal((0.5, 1.0), (cluster.SchedulerCores, cluster.SchedulerCoresLimit));
        Assert.Equal((MemorySize.Parse("1G"), MemorySize.Parse("2G")), (cluster.SchedulerMemory, cluster.SchedulerMemoryLimit));
        Assert.Equal((2.0, 2.0, 2), (cluster.WorkerCores, cluster.WorkerCoresLimit, cluster.WorkerThreads));
        Assert.Equal(MemorySize.Parse("4G"), cluster.WorkerMemory);
        var nodeSelector = Assert.IsType<Dictionary<string, object?>>(cluster.SchedulerExtraPodConfig["nodeSelector"]);
        Assert.Equal("schedulers", nodeSelector["pool"]);
        var toleration = Assert.IsType<Dictionary<string, object?>>(Assert.IsType<List<object?>>(cluster.WorkerExtraPodConfig["tolerations"]).Single());
        Assert.Equal("NoSchedule", toleration["effect"]);
        var securityContext = Assert.IsType<Dictionary<string, object?>>(cluster.WorkerExtraContainerConfig["securityContext"]);
        Assert.Equal(1000L, securityContext["runAsUser"]);
    }

    [Fact]
    public async Task CustomAuthenticator_FromTheExtensionsDirectory_IsConfiguredFromTheSecret_AndExtraConfigRunsInKeyOrder()
    {
        var components = await LoadGatewayAsync("custom");

        Assert.Equal("SiteAuthenticator", components.Authenticator.GetType().Name);
        dynamic authenticator = components.Authenticator;
        Assert.Equal("north", (string)authenticator.Realm);
        Assert.Equal("alice-secret-key", ((Dictionary<string, string>)authenticator.ApiKeys)["alice"]);
        Assert.Equal(600, (int)authenticator.TokenLifetime);
        // b-limits comes after a-limits; zz-log-level overrides gateway.loglevel.
        var cluster = ClusterConfig(components);
        Assert.Equal((16.0, 10), (cluster.ClusterMaxCores, cluster.ClusterMaxWorkers));
        Assert.Equal("DEBUG", components.Gateway.LogLevel);
        // The cluster options come from the other extension file, named in extraConfig.
        var options = await components.Backend.ClusterOptions.GetAsync(new User("alice"));
        Assert.Equal(["worker_cores"], options.Fields.Select(field => field.Field));
    }

    [Fact]
    public async Task Kerberos_UsesTheKeytabOfTheValues()
    {
        var components = await LoadGatewayAsync("kerberos");

        var authenticator = Assert.IsType<KerberosAuthenticator>(components.Authenticator);
        Assert.Equal("/etc/dask-gateway-keytab/dask-gateway.keytab", authenticator.Keytab);
    }

    [Fact]
    public async Task JupyterHub_UsesTheHubUrlAndServiceName_AndTheStringExtraConfig()
    {
        var components = await LoadGatewayAsync("jupyterhub");

        var authenticator = Assert.IsType<JupyterHubAuthenticator>(components.Authenticator);
        Assert.Equal("http://hub.jhub.svc:8081/hub/api", authenticator.JupyterhubApiUrl);
        Assert.Equal("dask-gateway", authenticator.JupyterhubServiceName);
        Assert.Equal(5, authenticator.TokenCacheMaxAge);
        Assert.Equal("/services/dask-gateway", components.Proxy.Prefix);
    }

    [Fact]
    public async Task JupyterHubWithoutAnApiUrl_TakesTheHubServiceFromTheEnvironment_OrFailsSayingSo()
    {
        const string JupyterHub = "gateway.auth.type=jupyterhub";
        var failure = await Assert.ThrowsAsync<ConfigurationException>(() => LoadGatewayAsync("default", JupyterHub));
        Assert.Contains("please specify `gateway.auth.jupyterhub.apiUrl`", failure.Message, StringComparison.Ordinal);

        // Kubernetes' variables of a Service named hub in the same namespace.
        var hubService = new Dictionary<string, string> { ["HUB_SERVICE_HOST"] = "10.96.0.12", ["HUB_SERVICE_PORT"] = "8081" };
        var components = await LoadGatewayAsync("default", hubService, JupyterHub);
        Assert.Equal("http://10.96.0.12:8081/hub/api", Assert.IsType<JupyterHubAuthenticator>(components.Authenticator).JupyterhubApiUrl);
    }

    [Theory]
    [InlineData("default", "INFO", 86400.0, 600.0, 0.1, 300.0, 50.0, 100)]
    [InlineData("upstream", "WARN", 3600.0, 60.0, 0.5, 120.0, 20.0, 40)]
    public async Task ControllerConfig_BindsTheKubeControllerSection(
        string testCase, string logLevel, double maxAge, double cleanupPeriod, double baseDelay, double maxDelay, double rateLimit, int burst)
    {
        var release = await HelmChart.RenderAsync(testCase);
        var directory = HelmChart.WriteConfigMap(release.Get<V1ConfigMap>(ControllerName));
        var config = new GatewayConfig();
        var errors = new ConfigErrors();
        var types = GatewayConfigurationLoader.BuiltInTypes();
        var sources = ExtensionSources.Find(Path.Combine(directory, "dask_gateway_config.csx"), [], null, errors);
        ScriptedConfiguration.Load(Path.Combine(directory, "dask_gateway_config.csx"), sources, GatewayStartup.HostAssemblies(), CompilationCache.FromEnvironment(), config, types, errors);
        var binder = new SettingsBinder(config, types);
        binder.Validate(errors);
        var controller = binder.Create<KubeControllerSettings>(typeof(KubeControllerSettings), errors);

        Assert.False(errors.HasErrors, string.Join("\n", errors.Errors.Select(error => error.Message)));
        Assert.Equal((":8000", PrivateApiUrl, FullName, logLevel), (controller.Address, controller.ApiUrl, controller.GatewayInstance, controller.LogLevel));
        Assert.Equal((maxAge, cleanupPeriod, baseDelay, maxDelay, rateLimit, burst),
            (controller.CompletedClusterMaxAge, controller.CompletedClusterCleanupPeriod, controller.BackoffBaseDelay, controller.BackoffMaxDelay, controller.K8sApiRateLimit, controller.K8sApiRateLimitBurst));
        var args = release.Get<V1Deployment>(ControllerName).Spec.Template.Spec.Containers.Single().Args;
        Assert.Equal(["dask-gateway-server", "kube-controller", "--config", "/etc/dask-gateway/dask_gateway_config.csx"], args);
    }

    private static Task<GatewayComponents> LoadGatewayAsync(string testCase, params string[] settings) =>
        LoadGatewayAsync(testCase, new Dictionary<string, string>(), settings);

    /// <summary>
    /// Renders the case (with <c>--set</c> <paramref name="settings"/>) and loads the gateway's config as
    /// the pod would, with the chart's secrets and <paramref name="podEnvironment"/> in the environment.
    /// </summary>
    /// <exception cref="ConfigurationException">The config does not load.</exception>
    private static async Task<GatewayComponents> LoadGatewayAsync(string testCase, Dictionary<string, string> podEnvironment, params string[] settings)
    {
        var release = new RenderedRelease(k8s.KubernetesYaml.LoadAllFromString(
            await HelmChart.TemplateAsync(testCase, [.. settings.SelectMany(setting => new[] { "--set", setting })])));
        var deployment = release.Get<V1Deployment>(ApiName);
        var container = deployment.Spec.Template.Spec.Containers.Single();
        Assert.Equal(["dask-gateway-server", "--config", "/etc/dask-gateway/dask_gateway_config.csx"], container.Args);
        var directory = HelmChart.WriteConfigMap(release.Get<V1ConfigMap>(ApiName));

        var environment = ChartEnvironment(container, release.Find<V1Secret>(ApiName));
        foreach (var (name, value) in podEnvironment)
        {
            environment[name] = value;
        }

        foreach (var (name, value) in environment)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        try
        {
            var arguments = new StartupArguments(Path.Combine(directory, "dask_gateway_config.csx"), [], new GatewayConfig(), new ConfigErrors());
            return GatewayStartup.Load(arguments, out _);
        }
        finally
        {
            foreach (var name in environment.Keys)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    /// <summary>The chart's variables of the gateway container, each resolved from the rendered Secret it refers to.</summary>
    private static Dictionary<string, string> ChartEnvironment(V1Container container, V1Secret? secret)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.Env.Where(env => env.Name.StartsWith(ChartVariablePrefix, StringComparison.Ordinal)))
        {
            var reference = variable.ValueFrom?.SecretKeyRef;
            if (reference is null)
            {
                environment[variable.Name] = variable.Value;
                continue;
            }

            Assert.NotNull(secret);
            Assert.Equal(ApiName, reference.Name);
            environment[variable.Name] = Encoding.UTF8.GetString(secret.Data[reference.Key]);
        }

        return environment;
    }

    /// <summary>The ConfigMap as its volume mount shows it: one file per key.</summary>
    private static KubeClusterConfig ClusterConfig(GatewayComponents components)
    {
        var config = components.ClusterConfigFactory.Create(typeof(KubeClusterConfig), new Dictionary<string, object?>(), out var errors);
        Assert.Empty(errors);
        return Assert.IsType<KubeClusterConfig>(config);
    }
}
