using System.Net;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// The real server started as an operator starts it: a .csx config file, extension directories
/// with C# sources or assemblies, command-line flags on top.
/// </summary>
public sealed class ConfigScriptTests
{
    private static readonly Dictionary<string, string?> NoCache = new() { ["DASK_GATEWAY_COMPILE_CACHE"] = "off" };

    private static readonly string[] LoopbackFlags =
        ["--Proxy.Address=127.0.0.1:0", "--DaskGateway.Address=127.0.0.1:0", "--DaskGateway.LogLevel=WARN"];

    [Fact]
    public async Task SampleConfig_WithSourceExtensions_LogsInThroughTheCustomAuthenticator_AndOffersMoreCoresToOneGroup()
    {
        var directory = CopySamples();

        // The sample sets Proxy.Address = ":8000"; the flag wins.
        await using var server = ServerProcess.StartIn(null, NoCache, ["-f", Path.Combine(directory, "dask_gateway_config.csx"), .. LoopbackFlags]);
        var (publicAddress, _) = await server.WaitUntilListeningAsync();

        using var alice = new GatewayClient(publicAddress, "alice", "alice-key");
        Assert.Equal(8, await MaxWorkerCoresAsync(alice));
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], alice.LastExchange);
        using var bob = new GatewayClient(publicAddress, "bob", "bob-key");
        Assert.Equal(2, await MaxWorkerCoresAsync(bob));

        using var intruder = new GatewayClient(publicAddress, "alice", "bob-key");
        using var rejected = await intruder.GetAsync("api/v1/options");
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Equal("Basic realm=\"corp\"", rejected.Headers.WwwAuthenticate.ToString());
        Assert.True(server.HasMapped("Microsoft.CodeAnalysis"));
    }

    [Fact]
    public async Task SampleAssembly_FromTheEnvironmentsExtensionPath_IsConfiguredByFlags_WithoutLoadingRoslyn()
    {
        var extensions = Directory.CreateTempSubdirectory("dask-gateway-ext-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "DaskGateway.Samples.CustomAuthenticator.dll"), Path.Combine(extensions, "DaskGateway.Samples.CustomAuthenticator.dll"));
        var environment = new Dictionary<string, string?>(NoCache) { ["DASK_GATEWAY_EXTENSION_PATHS"] = $":{extensions}:" };

        await using var server = ServerProcess.StartIn(null, environment,
        [
            .. LoopbackFlags,
            "--DaskGateway.AuthenticatorClass=DaskGateway.Samples.CustomAuthenticator.MyAuthenticator",
            """--MyAuthenticator.ApiKeys={"carol": "carol-key"}""",
            """--MyAuthenticator.Groups={"carol": "scientists"}""",
        ]);
        var (publicAddress, _) = await server.WaitUntilListeningAsync();

        using var carol = new GatewayClient(publicAddress, "carol", "carol-key");
        Assert.Empty((await carol.GetJsonAsync("api/v1/clusters/")).AsObject());
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.OK], carol.LastExchange);
        Assert.False(server.HasMapped("Microsoft.CodeAnalysis"));

        // Nor the Kubernetes client, which only the Kubernetes backend needs (design.md §3).
        Assert.False(server.HasMapped("KubernetesClient"));
    }

    [Fact]
    public async Task ASecondStart_WithUnchangedFiles_TakesTheCompiledAssembliesFromTheCache_WithoutLoadingRoslyn()
    {
        var directory = CopySamples();
        var cache = new Dictionary<string, string?> { ["DASK_GATEWAY_COMPILE_CACHE"] = Directory.CreateTempSubdirectory("dask-gateway-cache-").FullName };
        string[] arguments = ["-f", Path.Combine(directory, "dask_gateway_config.csx"), "--Proxy.Address=127.0.0.1:0", "--DaskGateway.Address=127.0.0.1:0"];
        await using (var first = ServerProcess.StartIn(null, cache, arguments))
        {
            await first.WaitUntilListeningAsync();
            Assert.Contains("(2 compiled, 0 from the compilation cache)", first.StandardOutput, StringComparison.Ordinal);
        }

        await using var second = ServerProcess.StartIn(null, cache, arguments);
        var (publicAddress, _) = await second.WaitUntilListeningAsync();

        Assert.Contains("(0 compiled, 2 from the compilation cache)", second.StandardOutput, StringComparison.Ordinal);
        Assert.False(second.HasMapped("Microsoft.CodeAnalysis"));
        using var alice = new GatewayClient(publicAddress, "alice", "alice-key");
        Assert.Equal(8, await MaxWorkerCoresAsync(alice));
    }

    [Fact]
    public async Task ABackendAndAClusterConfigSubclassingBuiltIns_AreConfiguredLikeBuiltIns()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-config-").FullName;
        File.WriteAllText(Path.Combine(directory, "SiteBackend.cs"), """
            using DaskGateway.Backends;
            using DaskGateway.Clusters;

            public class SiteBackend : UnsafeLocalBackend
            {
                public string Site { get; set; } = "";

                public override Type ClusterConfigClass { get; set; } = typeof(SiteClusterConfig);
            }

            public class SiteClusterConfig : LocalClusterConfig
            {
                public string Partition { get; set; } = "default";
            }
            """);
        File.WriteAllText(Path.Combine(directory, "dask_gateway_config.csx"), """
            c.DaskGateway.BackendClass = "sitebackend.SiteBackend";
            c.SiteBackend.Site = "north";
            c.LocalBackend.SigtermTimeout = 2;
            c.SiteClusterConfig.Partition = "gpu";
            c.SiteClusterConfig.Partitio = "typo";
            """);

        await using var failing = ServerProcess.StartIn(directory, NoCache, LoopbackFlags);
        Assert.Equal(1, await failing.WaitForExitAsync());
        Assert.Contains("Unknown setting 'Partitio' in section 'SiteClusterConfig'. Did you mean 'Partition'?", failing.StandardError, StringComparison.Ordinal);

        var config = Path.Combine(directory, "dask_gateway_config.csx");
        File.WriteAllLines(config, File.ReadAllLines(config).Where(line => !line.Contains("Partitio ", StringComparison.Ordinal)));
        await using var server = ServerProcess.StartIn(directory, NoCache, [.. LoopbackFlags, "--DaskGateway.LogLevel=INFO"]);
        await server.WaitUntilListeningAsync();
        Assert.Contains("configurable classes: SiteBackend, SiteClusterConfig", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutConfigOrExtensions_RoslynIsNotLoaded()
    {
        await using var server = ServerProcess.Start(LoopbackFlags);
        await server.WaitUntilListeningAsync();

        Assert.False(server.HasMapped("Microsoft.CodeAnalysis"));
    }

    [Fact]
    public async Task Flags_OverrideTheConfigFile_WhateverTheSpelling()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-config-").FullName;
        File.WriteAllText(Path.Combine(directory, "dask_gateway_config.csx"), """
            c.SimpleAuthenticator.Password = "from-file";
            c.DaskGateway.LogLevel = "ERROR";
            """);

        // The default file in the working directory is found without -f.
        await using var server = ServerProcess.StartIn(directory, NoCache, [.. LoopbackFlags, "--SimpleAuthenticator.password=from-flag"]);
        var (publicAddress, _) = await server.WaitUntilListeningAsync();

        using var fromFlag = new GatewayClient(publicAddress, "alice", "from-flag");
        Assert.Empty((await fromFlag.GetJsonAsync("api/v1/clusters/")).AsObject());
        using var fromFile = new GatewayClient(publicAddress, "alice", "from-file");
        using var rejected = await fromFile.GetAsync("api/v1/clusters/");
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
    }

    [Fact]
    public async Task MissingExplicitConfigFile_AndMissingExtensionDirectory_AreErrors()
    {
        await using var server = ServerProcess.StartIn(null, NoCache, ["-f", "nowhere.csx", "--extensions", "/no/such/dir", .. LoopbackFlags]);

        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.Contains("Config file 'nowhere.csx' does not exist", server.StandardError, StringComparison.Ordinal);
        Assert.Contains("Extension directory '/no/such/dir' (--extensions) does not exist", server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompileErrors_InTheConfigAndInAnExtension_AreReportedTogether_WithFileLineAndColumn()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-config-").FullName;
        var extensions = Directory.CreateDirectory(Path.Combine(directory, "ext")).FullName;
        File.WriteAllText(Path.Combine(extensions, "Broken.cs"), """
            using DaskGateway.Auth;

            public class BrokenAuthenticator : Authenticator
            {
                public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(nul);
            }
            """);
        var config = Path.Combine(directory, "config.csx");
        File.WriteAllText(config, """
            c.Proxy.Prefix = "/gateway"
            c.Backend.ClusterOptions = user => new Options();
            """);

        await using var server = ServerProcess.StartIn(null, NoCache, ["--config", config, "--extensions", extensions, .. LoopbackFlags]);

        Assert.Equal(1, await server.WaitForExitAsync());
        var errors = server.StandardError;
        Assert.Contains($"{Path.Combine(extensions, "Broken.cs")}:5:108: error CS0103: The name 'nul' does not exist in the current context", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:1:28: error CS1002: ; expected", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:2:33: error CS1660: Cannot convert lambda expression to type 'dynamic'", errors, StringComparison.Ordinal);
        Assert.Contains("(Func<User, Options>)(user => ...)", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SettingAndClassErrors_AThrowingConstructor_AndTheScriptsException_AreReportedTogether()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-config-").FullName;
        File.WriteAllText(Path.Combine(directory, "Extensions.cs"), """
            using DaskGateway.Auth;
            using DaskGateway.Clusters;

            public class LicensedAuthenticator : Authenticator
            {
                public LicensedAuthenticator() => throw new InvalidOperationException("no licence found");

                public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(null);
            }

            namespace Site.A { public class SiteConfig : ClusterConfig { } }

            namespace Site.B { public class SiteConfig : ClusterConfig { } }
            """);
        var config = Path.Combine(directory, "dask_gateway_config.csx");
        File.WriteAllText(config, """
            c.Proxy.Adress = ":9000";
            c.ClusterConfig.WorkerCores = "many";
            c.DaskGateway.AuthenticatorClass = "LicensedAuthenticator";
            c.DaskGateway.BackendClass = "unsafe-locl";
            c.Backend.ClusterConfigClass = "SiteConfig";
            c.LicensedAuthenticator.Realm = "corp";
            var limits = new Dictionary<string, object> { ["ClusterMaxWorkers"] = 10 };
            c["ClusterConfig"].Update(limits);
            throw new InvalidOperationException("stop here");
            """);

        await using var server = ServerProcess.StartIn(null, NoCache, ["-f", config, .. LoopbackFlags]);

        Assert.Equal(1, await server.WaitForExitAsync());
        var errors = server.StandardError;
        Assert.Contains("Configuration has 7 error(s)", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:1: Unknown setting 'Adress' in section 'Proxy'. Did you mean 'Address'?", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:2: ClusterConfig.WorkerCores: expected a number, got 'many'", errors, StringComparison.Ordinal);
        Assert.Contains("'LicensedAuthenticator' cannot be created: its constructor threw InvalidOperationException: no licence found", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:4: DaskGateway.BackendClass: expected a class deriving from Backend, got 'unsafe-locl': unknown class 'unsafe-locl'", errors, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'unsafe-local'", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:5: Backend.ClusterConfigClass: expected a class deriving from ClusterConfig, got 'SiteConfig': 'SiteConfig' is ambiguous: it could be Site.A.SiteConfig, Site.B.SiteConfig", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:6: Unknown setting 'Realm' in section 'LicensedAuthenticator'.", errors, StringComparison.Ordinal);
        Assert.Contains($"{config}:9: the config script threw InvalidOperationException: stop here", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("listening", server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExtensionWhoseSetupFails_StopsTheStart_NamingTheClass()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-config-").FullName;
        File.WriteAllText(Path.Combine(directory, "HubAuthenticator.cs"), """
            using DaskGateway.Auth;

            namespace Site;

            public class HubAuthenticator : Authenticator
            {
                public override Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken) =>
                    throw new HttpRequestException("hub unreachable");

                public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(null);
            }
            """);

        await using var server = ServerProcess.StartIn(null, NoCache, ["--extensions", directory, "--DaskGateway.AuthenticatorClass=hubauthenticator.HubAuthenticator", .. LoopbackFlags]);

        Assert.Equal(1, await server.WaitForExitAsync());
        Assert.Contains("failed to start: Site.HubAuthenticator.SetupAsync failed: HttpRequestException: hub unreachable", server.StandardError, StringComparison.Ordinal);
    }

    /// <summary>The most worker cores the user is offered (the sample's first option).</summary>
    private static async Task<int> MaxWorkerCoresAsync(GatewayClient client) =>
        (await client.GetJsonAsync("api/v1/options"))["cluster_options"]![0]!["spec"]!["max"]!.GetValue<int>();

    private static string CopySamples()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-sample-").FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "samples", "extensions")))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        return directory;
    }
}
