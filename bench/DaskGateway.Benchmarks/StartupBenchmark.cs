using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DaskGateway.Benchmarks;

/// <summary>
/// Start of the real executable to the first 200 of <c>GET /api/health</c> on its public port: with
/// no config, with a typical .csx config, and with .cs extensions beside the config (the samples);
/// the last two without the compilation cache (Roslyn compiles) and with a warm cache.
/// </summary>
internal static class StartupBenchmark
{
    private const string TypicalConfig = """
        // A typical deployment's config: classes, limits, timeouts and cluster options with a handler.
        c.DaskGateway.BackendClass = "local";
        c.DaskGateway.LogLevel = "WARN";
        c.SimpleAuthenticator.Password = Environment.GetEnvironmentVariable("GATEWAY_PASSWORD") ?? "secret";
        c.DBBackendBase.ClusterStartTimeout = 120;
        c.DBBackendBase.WorkerStartTimeout = 120;
        c.ClusterConfig.WorkerMemory = "4 G";
        c.ClusterConfig.ClusterMaxCores = 32;
        c.ClusterConfig.ClusterMaxWorkers = 16;
        c.ClusterConfig.IdleTimeout = 3600;
        c.ClusterConfig.Environment = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" };
        c.Backend.ClusterOptions = new Options(
            Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
            Option.Float("worker_memory", 2, min: 1, max: 8, label: "Worker Memory (GiB)"),
            Option.Select("image", ["default", "gpu"], label: "Image"),
            handler: (options, user) => new Dictionary<string, object?>
            {
                ["worker_cores"] = options["worker_cores"],
                ["worker_memory"] = (long)(options.GetFloat("worker_memory") * (1L << 30)),
            });
        """;

    public static async Task RunAsync(string executable, string samples, int repeats)
    {
        var root = Directory.CreateTempSubdirectory("dask-gateway-bench-startup-").FullName;
        try
        {
            var typical = Path.Combine(Directory.CreateDirectory(Path.Combine(root, "typical")).FullName, "dask_gateway_config.csx");
            await File.WriteAllTextAsync(typical, TypicalConfig);
            var extensions = Directory.CreateDirectory(Path.Combine(root, "extensions")).FullName;
            foreach (var file in Directory.EnumerateFiles(samples))
            {
                File.Copy(file, Path.Combine(extensions, Path.GetFileName(file)));
            }

            var cache = Path.Combine(root, "cache");
            var sampleConfig = Path.Combine(extensions, "dask_gateway_config.csx");
            Console.WriteLine($"# start to GET /api/health 200, median of {repeats}, {Environment.ProcessorCount} cores, {executable}");
            Console.WriteLine("| configuration | compilation cache | median | min | max |");
            Console.WriteLine("|---|---|---|---|---|");
            await RowAsync("no config", "-", executable, root, [], null, repeats);
            await RowAsync("typical .csx", "off", executable, root, ["-f", typical], "off", repeats);
            await RowAsync("typical .csx", "warm", executable, root, ["-f", typical], cache, repeats);
            await RowAsync(".cs extensions + .csx (samples)", "off", executable, root, ["-f", sampleConfig], "off", repeats);
            await RowAsync(".cs extensions + .csx (samples)", "warm", executable, root, ["-f", sampleConfig], cache, repeats);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task RowAsync(string name, string cacheLabel, string executable, string root, string[] arguments, string? cache, int repeats)
    {
        if (cache is not null && cache != "off")
        {
            await MeasureAsync(executable, root, arguments, cache);
        }

        var times = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            times.Add(await MeasureAsync(executable, root, arguments, cache));
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {cacheLabel} | {times[times.Count / 2]:F2} s | {times[0]:F2} s | {times[^1]:F2} s |"));
    }

    private static async Task<double> MeasureAsync(string executable, string root, string[] arguments, string? cache)
    {
        var port = FreePort();
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("run-").FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Concat([$"--Proxy.Address=127.0.0.1:{port}", "--DaskGateway.Address=127.0.0.1:0", "--DaskGateway.LogLevel=WARN"]))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("DASK_GATEWAY_EXTENSION_PATHS");
        if (cache is null)
        {
            info.Environment.Remove("DASK_GATEWAY_COMPILE_CACHE");
        }
        else
        {
            info.Environment["DASK_GATEWAY_COMPILE_CACHE"] = cache;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var health = new Uri($"http://127.0.0.1:{port}/api/health");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The gateway exited with {process.ExitCode} ({root}).");
                }

                try
                {
                    using var response = await http.GetAsync(health);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        return watch.Elapsed.TotalSeconds;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(2);
            }

            throw new TimeoutException("The gateway did not answer /api/health within 60 s.");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Directory.Delete(info.WorkingDirectory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
