using System.Text;
using k8s.Models;

namespace DaskGateway.Tests.Helm;

/// <summary>
/// The chart as helm sees it: lint, the schema, and what <c>helm template</c> renders for each case
/// of Helm/cases/, compared with Helm/golden/.
/// </summary>
public sealed class HelmChartTests
{
    private const string FullName = HelmChart.ReleaseName;
    private const string ApiName = "api-" + FullName;

    public static TheoryData<string> Cases => ["default", "upstream", "custom", "kerberos", "jupyterhub"];

    [Fact]
    public async Task HelmLint_PassesWithTheDefaultsAndEveryCase()
    {
        var lint = await HelmChart.RunAsync(["lint", "--strict", HelmChart.ChartDirectory]);
        Assert.True(lint.ExitCode == 0, lint.StandardOutput + lint.StandardError);
        foreach (var testCase in Cases)
        {
            var withValues = await HelmChart.RunAsync(["lint", "--strict", HelmChart.PrepareChart(testCase), "--values", HelmChart.ValuesFile(testCase)]);
            Assert.True(withValues.ExitCode == 0, $"case {testCase}:\n{withValues.StandardOutput}{withValues.StandardError}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HelmTemplate_RendersTheGoldenFile(string testCase) =>
        HelmChart.AssertMatchesGolden($"{testCase}.yaml", await HelmChart.TemplateAsync(testCase));

    [Theory]
    [InlineData("gateway.replica=2", "additional properties 'replica' not allowed")]
    [InlineData("gateway.auth.simple.pasword=x", "additional properties 'pasword' not allowed")]
    [InlineData("traefik.servce.type=NodePort", "additional properties 'servce' not allowed")]
    [InlineData("gateway.auth.type=oauth", "gateway/auth/type")]
    public async Task TheSchema_RejectsAMisspelledKeyOrAnUnknownValue(string setting, string expected)
    {
        var result = await HelmChart.RunAsync(["template", HelmChart.ReleaseName, HelmChart.ChartDirectory, "--set", setting]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamValues_TraefikServiceSettingsShapeThePublicService_AndTheRestIsNamedInTheNotes()
    {
        var release = await HelmChart.RenderAsync("upstream");

        var service = release.Get<V1Service>("traefik-" + FullName);
        Assert.Equal("NodePort", service.Spec.Type);
        Assert.Equal("Local", service.Spec.ExternalTrafficPolicy);
        Assert.Equal("yes", service.Metadata.Annotations["example.org/exposed"]);
        Assert.Equal("true", service.Metadata.Annotations["example.org/internal"]);
        Assert.Equal([(80, 30080, "api"), (8786, 30786, "tcp")], service.Spec.Ports.Select(port => (port.Port, port.NodePort ?? 0, port.TargetPort.Value)));
        // No Traefik: the only object with its name is the public Service, which keeps upstream's name.
        Assert.Equal([service], release.Objects.OfType<IMetadata<V1ObjectMeta>>().Where(item => item.Metadata.Name.Contains("traefik", StringComparison.Ordinal)));
        Assert.Equal("gateway", service.Spec.Selector["app.kubernetes.io/component"]);
        var container = release.Get<V1Deployment>(ApiName).Spec.Template.Spec.Containers.Single();
        Assert.Contains(container.Ports, port => port is { Name: "tcp", ContainerPort: 8786 });

        // NOTES.txt is rendered by install, not by template.
        var install = await HelmChart.RunAsync(
            ["install", HelmChart.ReleaseName, HelmChart.PrepareChart("upstream"), "--dry-run=client", "--namespace", HelmChart.Namespace, "--values", HelmChart.ValuesFile("upstream")]);
        Assert.True(install.ExitCode == 0, install.StandardError);
        var notes = install.StandardOutput[install.StandardOutput.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("only\n`traefik.service` is used", notes, StringComparison.Ordinal);
        string[] ignored = ["additionalArguments", "dashboard", "image", "installTraefik", "loglevel", "replicas"];
        Assert.Contains(string.Concat(ignored.Select(key => $"\n  traefik.{key}")), notes, StringComparison.Ordinal);
        Assert.DoesNotContain("traefik.service\n", notes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutATraefikBlock_TheNotesWarnOfNothing()
    {
        var install = await HelmChart.RunAsync(["install", HelmChart.ReleaseName, HelmChart.ChartDirectory, "--dry-run=client"]);

        Assert.True(install.ExitCode == 0, install.StandardError);
        Assert.Contains("traefik-" + FullName, install.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", install.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("upstream", "simple-password", "DASK_GATEWAY_SIMPLE_PASSWORD", "upstream-shared-password")]
    [InlineData("custom", "custom-auth-config", "DASK_GATEWAY_CUSTOM_AUTH_CONFIG", "alice-secret-key")]
    [InlineData("jupyterhub", "jupyterhub-api-token", "JUPYTERHUB_API_TOKEN", "jupyterhub-token-for-the-gateway")]
    public async Task Secrets_GoIntoTheSecret_AndReachThePodsEnvironment_NeverTheConfigMap(string testCase, string key, string variable, string secret)
    {
        var release = await HelmChart.RenderAsync(testCase);

        Assert.Contains(secret, Encoding.UTF8.GetString(release.Get<V1Secret>(ApiName).Data[key]), StringComparison.Ordinal);
        var reference = release.Get<V1Deployment>(ApiName).Spec.Template.Spec.Containers.Single().Env.Single(env => env.Name == variable).ValueFrom.SecretKeyRef;
        Assert.Equal((ApiName, key), (reference.Name, reference.Key));
        foreach (var configMap in release.Objects.OfType<V1ConfigMap>())
        {
            Assert.DoesNotContain(configMap.Data.Values, value => value.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task JupyterHubWithoutAToken_TakesItFromTheHubsSecret_AndRendersNoSecretOfItsOwn()
    {
        var chart = HelmChart.PrepareChart("default");
        var result = await HelmChart.RunAsync(["template", HelmChart.ReleaseName, chart, "--set", "gateway.auth.type=jupyterhub"]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var release = new RenderedRelease(k8s.KubernetesYaml.LoadAllFromString(result.StandardOutput));

        Assert.Null(release.Find<V1Secret>(ApiName));
        var reference = release.Get<V1Deployment>(ApiName).Spec.Template.Spec.Containers.Single().Env.Single(env => env.Name == "JUPYTERHUB_API_TOKEN").ValueFrom.SecretKeyRef;
        Assert.Equal(("hub", "hub.services.dask-gateway.apiToken"), (reference.Name, reference.Key));
    }

    [Fact]
    public async Task ExtraConfigSnippets_AreAppendedInTheOrderOfTheirKeys_AfterTheAuthentication()
    {
        var config = (await HelmChart.RenderAsync("custom")).Get<V1ConfigMap>(ApiName).Data["dask_gateway_config.csx"];

        string[] inOrder =
        [
            "c.DaskGateway.AuthenticatorClass = authenticatorClass;",
            "// From gateway.extraConfig.a-limits\nc.ClusterConfig.ClusterMaxCores = 8;",
            "// From gateway.extraConfig.b-limits\nc.ClusterConfig.ClusterMaxCores = 16;",
            "// From gateway.extraConfig.cluster-options\n",
            "// From gateway.extraConfig.zz-log-level\n",
        ];
        var positions = inOrder.Select(text => config.IndexOf(text, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public async Task ConfigAndExtensionChanges_ChangeTheChecksumThatRestartsTheGatewayPods()
    {
        static string Checksum(RenderedRelease release) =>
            release.Get<V1Deployment>(ApiName).Spec.Template.Metadata.Annotations["checksum/configmap"];

        var withExtensions = Checksum(await HelmChart.RenderAsync("custom"));
        var chart = HelmChart.PrepareChart("custom");
        File.AppendAllText(Path.Combine(chart, "extensions", "gateway", "SiteOptions.cs"), "// changed\n");
        var result = await HelmChart.RunAsync(["template", HelmChart.ReleaseName, chart, "--namespace", HelmChart.Namespace, "--values", HelmChart.ValuesFile("custom")]);
        Assert.True(result.ExitCode == 0, result.StandardError);

        Assert.NotEqual(withExtensions, Checksum(new RenderedRelease(k8s.KubernetesYaml.LoadAllFromString(result.StandardOutput))));
    }

    [Fact]
    public async Task ExtensionFiles_AreMountedBesideTheConfig_AssembliesAsBinaryData_InTheCustomImagesPod()
    {
        var chart = HelmChart.PrepareChart("custom");
        byte[] assembly = [0x4d, 0x5a, 0x90, 0x00, 0xff];
        File.WriteAllBytes(Path.Combine(chart, "extensions", "gateway", "Site.Extensions.dll"), assembly);
        var result = await HelmChart.RunAsync(["template", HelmChart.ReleaseName, chart, "--values", HelmChart.ValuesFile("custom")]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var release = new RenderedRelease(k8s.KubernetesYaml.LoadAllFromString(result.StandardOutput));

        var configMap = release.Get<V1ConfigMap>(ApiName);
        Assert.Equal(["SiteAuthenticator.cs", "SiteOptions.cs", "dask_gateway_config.csx"], configMap.Data.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(assembly, configMap.BinaryData["Site.Extensions.dll"]);
        var pod = release.Get<V1Deployment>(ApiName).Spec.Template.Spec;
        var container = pod.Containers.Single();
        Assert.Equal(("registry.example.org/site/dask-gateway-server:0.1.0-site.3", "Always"), (container.Image, container.ImagePullPolicy));
        Assert.Equal(["site-registry"], pod.ImagePullSecrets.Select(secret => secret.Name));
        var mount = container.VolumeMounts.Single();
        Assert.Equal("/etc/dask-gateway/", mount.MountPath);
        Assert.Equal(ApiName, pod.Volumes.Single(volume => volume.Name == mount.Name).ConfigMap.Name);
    }
}
