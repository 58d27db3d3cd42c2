using System.Text.RegularExpressions;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

public sealed partial class GenerateConfigTests
{
    [Fact]
    public async Task GeneratedConfig_ListsEverySetting_AndLoads_WithEveryDefaultUncommented()
    {
        await using var generate = ServerProcess.Start("generate-config");
        Assert.Equal(0, await generate.WaitForExitAsync());
        var path = Path.Combine(generate.WorkingDirectory, "dask_gateway_config.csx");
        Assert.Equal($"Writing default config to: {path}", generate.StandardOutput.Trim());

        var text = File.ReadAllText(path);
        Assert.Contains("Upstream: DaskGateway.backend_class", text, StringComparison.Ordinal);
        Assert.Contains("Upstream: Backend.cluster_options", text, StringComparison.Ordinal);
        Assert.Contains("// c.ClusterConfig.WorkerMemory = \"2 G\";", text, StringComparison.Ordinal);
        Assert.Contains("// Password shared by all users", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^c\.", CommentedAssignment().Replace(text, ""));

        // Every default is written as C# that converts back: uncommented, the file still loads.
        File.WriteAllText(path, CommentedAssignment().Replace(text, "$1"));
        // Every setting of every built-in class (and of its configurable bases) is listed.
        var types = Hosting.GatewayConfigurationLoader.BuiltInTypes();
        foreach (var type in types.Types.Concat(types.SectionTypes).Distinct())
        {
            foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly))
            {
                var overridesBase = property.GetMethod?.GetBaseDefinition().DeclaringType != type;
                if (property.SetMethod is { IsPublic: true } && !overridesBase && !Attribute.IsDefined(property, typeof(Configuration.SettingIgnoreAttribute)))
                {
                    Assert.Contains($"c.{Configuration.ConfigurableTypes.SectionName(type)}.{property.Name} =", text, StringComparison.Ordinal);
                }
            }
        }

        await using var server = ServerProcess.StartIn(
            generate.WorkingDirectory,
            new Dictionary<string, string?> { ["DASK_GATEWAY_COMPILE_CACHE"] = "off" },
            "--Proxy.Address=127.0.0.1:0", "--DaskGateway.Address=127.0.0.1:0");
        await server.WaitUntilListeningAsync();
    }

    [Fact]
    public async Task GenerateConfig_RefusesToOverwrite_WithoutForce_AndNeedsAnExistingDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-generate-").FullName;
        var path = Path.Combine(directory, "gateway.csx");
        File.WriteAllText(path, "// mine");

        await using var refused = ServerProcess.Start("generate-config", "--output", path);
        Assert.Equal(1, await refused.WaitForExitAsync());
        Assert.Contains("Config file already exists, use `--force` to overwrite", refused.StandardError, StringComparison.Ordinal);
        Assert.Equal("// mine", File.ReadAllText(path));

        await using var forced = ServerProcess.Start("generate-config", "--output", path, "--force");
        Assert.Equal(0, await forced.WaitForExitAsync());
        Assert.Contains("c.DaskGateway.AuthenticatorClass", File.ReadAllText(path), StringComparison.Ordinal);

        var missing = Path.Combine(directory, "missing");
        await using var noDirectory = ServerProcess.Start("generate-config", "--output", Path.Combine(missing, "x.csx"));
        Assert.Equal(1, await noDirectory.WaitForExitAsync());
        Assert.Contains($"'{missing}' does not exist. The destination directory must exist before generating config file.", noDirectory.StandardError, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"(?m)^// (c\.\w+\.\w+ = .*;)$")]
    private static partial Regex CommentedAssignment();
}
