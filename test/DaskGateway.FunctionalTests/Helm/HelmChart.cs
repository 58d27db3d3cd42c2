using System.Diagnostics;
using System.Text;
using k8s;
using k8s.Models;

namespace DaskGateway.Tests.Helm;

/// <summary>
/// The chart in deploy/helm/dask-gateway and the real <c>helm</c> binary that renders it. Each test
/// case is a folder of Helm/cases/: a <c>values.yaml</c> and, optionally, <c>extensions/</c> files
/// that are copied into a copy of the chart's extensions/gateway/, as an operator adds theirs.
/// </summary>
/// <remarks>
/// helm is found through <c>HELM</c> (the binary's path), else in <c>$HELM_TOOLS_DIR/helm/</c>
/// (default <c>~/.cache/dask-gateway/tools/helm/</c>), where scripts/lib/prerequisites.sh installs it.
/// </remarks>
internal static class HelmChart
{
    /// <summary>The release name every case is rendered with: it contains the chart's name, so it is also the full name.</summary>
    public const string ReleaseName = "dask-gateway";

    public const string Namespace = "dask";

    /// <summary>Set to 1 to rewrite the golden files from what the chart renders now.</summary>
    public const string UpdateGoldenVariable = "DASK_GATEWAY_UPDATE_GOLDEN";

    private static readonly TimeSpan HelmTimeout = TimeSpan.FromSeconds(120);

    private static readonly Lazy<string> SourceRoot = new(FindSourceRoot);

    /// <summary>
    /// The folder of the test cases and golden files, read in the source tree (like the chart) so that
    /// rewritten golden files count at once, without a build.
    /// </summary>
    public static string TestDataDirectory => Path.Combine(SourceRoot.Value, "test", "DaskGateway.FunctionalTests", "Helm");

    public static string ChartDirectory => Path.Combine(SourceRoot.Value, "deploy", "helm", "dask-gateway");

    public static string ValuesFile(string testCase) => Path.Combine(TestDataDirectory, "cases", testCase, "values.yaml");

    /// <summary>A copy of the chart with the case's extension files in extensions/gateway/.</summary>
    public static string PrepareChart(string testCase)
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("dask-gateway-chart-").FullName, "dask-gateway");
        CopyDirectory(ChartDirectory, copy);
        var extensions = Path.Combine(TestDataDirectory, "cases", testCase, "extensions");
        if (Directory.Exists(extensions))
        {
            foreach (var file in Directory.EnumerateFiles(extensions))
            {
                File.Copy(file, Path.Combine(copy, "extensions", "gateway", Path.GetFileName(file)));
            }
        }

        return copy;
    }

    /// <summary>What <c>helm template</c> renders for the case, with the case's extensions.</summary>
    public static async Task<string> TemplateAsync(string testCase, params string[] extraArguments)
    {
        var chart = PrepareChart(testCase);
        var result = await RunAsync(["template", ReleaseName, chart, "--namespace", Namespace, "--values", ValuesFile(testCase), .. extraArguments]);
        Assert.True(result.ExitCode == 0, $"helm template failed for case '{testCase}':\n{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The case's objects, typed (ConfigMap, Deployment, Secret, ...).</summary>
    /// <summary>Writes a rendered ConfigMap's files into a new directory, as its volume mount shows them in a pod.</summary>
    public static string WriteConfigMap(V1ConfigMap configMap)
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-etc-").FullName;
        foreach (var (name, text) in configMap.Data)
        {
            File.WriteAllText(Path.Combine(directory, name), text);
        }

        foreach (var (name, bytes) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
        {
            File.WriteAllBytes(Path.Combine(directory, name), bytes);
        }

        return directory;
    }

    public static async Task<RenderedRelease> RenderAsync(string testCase) =>
        new(KubernetesYaml.LoadAllFromString(await TemplateAsync(testCase)));

    /// <summary>Runs helm with its state in a fresh temporary directory, so that no user setting leaks in.</summary>
    public static async Task<HelmResult> RunAsync(IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(FindHelm())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var home = Directory.CreateTempSubdirectory("dask-gateway-helm-home-").FullName;
        info.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "cache");
        info.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "config");
        info.Environment["HELM_DATA_HOME"] = Path.Combine(home, "data");
        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("helm did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(HelmTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"helm {string.Join(' ', arguments)} did not finish within {HelmTimeout.TotalSeconds} s");
            }

            return new HelmResult(process.ExitCode, await output, await error);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>Compares <paramref name="actual"/> with Helm/golden/<paramref name="name"/>, or rewrites it when asked to.</summary>
    public static void AssertMatchesGolden(string name, string actual)
    {
        if (Environment.GetEnvironmentVariable(UpdateGoldenVariable) == "1")
        {
            var goldenDirectory = Path.Combine(TestDataDirectory, "golden");
            Directory.CreateDirectory(goldenDirectory);
            File.WriteAllText(Path.Combine(goldenDirectory, name), actual, new UTF8Encoding(false));
            return;
        }

        var golden = Path.Combine(TestDataDirectory, "golden", name);
        Assert.True(File.Exists(golden), $"No golden file {name}: render it with {UpdateGoldenVariable}=1 (see Helm/README.md).");
        var expected = File.ReadAllText(golden);
        if (expected != actual)
        {
            Assert.Fail($"helm template no longer renders golden/{name}. If the change is intended, rewrite the golden files with "
                + $"{UpdateGoldenVariable}=1 (see Helm/README.md) and review their diff. First difference:\n{FirstDifference(expected, actual)}");
        }
    }

    private static string FindHelm()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("HELM") is { Length: > 0 } explicitPath)
        {
            candidates.Add(explicitPath);
        }

        var tools = Environment.GetEnvironmentVariable("HELM_TOOLS_DIR") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "dask-gateway", "tools");
        candidates.Add(Path.Combine(tools, "helm", "helm"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"helm was not found (looked for {string.Join(", ", candidates)}). Install it with "
                + "`bash -c 'source scripts/lib/prerequisites.sh && ensure_helm'`, or set HELM to its path.");
    }

    private static string FirstDifference(string expected, string actual)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var line = 0; line < Math.Max(expectedLines.Length, actualLines.Length); line++)
        {
            var want = line < expectedLines.Length ? expectedLines[line] : "<end of file>";
            var got = line < actualLines.Length ? actualLines[line] : "<end of file>";
            if (want != got)
            {
                return $"line {line + 1}:\n  expected: {want}\n  rendered: {got}";
            }
        }

        return "(none found line by line)";
    }

    private static string FindSourceRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "deploy", "helm", "dask-gateway", "Chart.yaml")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No deploy/helm/dask-gateway above {AppContext.BaseDirectory}: the tests run from the source tree's build output.");
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }
}

/// <summary>How helm ended and what it printed.</summary>
internal sealed record HelmResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>The objects of one rendering, found by kind and name.</summary>
internal sealed class RenderedRelease(IReadOnlyList<object> objects)
{
    public IReadOnlyList<object> Objects { get; } = objects;

    public T Get<T>(string name)
        where T : IKubernetesObject<k8s.Models.V1ObjectMeta> =>
        Find<T>(name) ?? throw new InvalidOperationException($"The chart rendered no {typeof(T).Name} named {name}");

    public T? Find<T>(string name)
        where T : IKubernetesObject<k8s.Models.V1ObjectMeta> =>
        Objects.OfType<T>().SingleOrDefault(item => item.Metadata.Name == name);
}
