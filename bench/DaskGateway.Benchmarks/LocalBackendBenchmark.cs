using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Security;
using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Benchmarks;

/// <summary>
/// The local backend against bare Dask with the same Python, in one run: POST to RUNNING against a
/// bare TLS dask-scheduler reaching "listening"; scale(2) to two connected workers against two bare
/// workers connecting; DELETE of a cluster with two workers to STOPPED.
/// </summary>
internal static class LocalBackendBenchmark
{
    public static async Task RunAsync(int repeats)
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-bench-local-");
        try
        {
            var (certificate, key) = WriteCredentials(directory.FullName);
            var bareStart = new List<double>();
            var bareWorkers = new List<double>();
            for (var i = 0; i < repeats; i++)
            {
                var (start, workers) = await BareAsync(directory.FullName, certificate, key);
                bareStart.Add(start);
                bareWorkers.Add(workers);
            }

            var gatewayStart = new List<double>();
            var gatewayScale = new List<double>();
            var gatewayStop = new List<double>();
            await using var gateway = await GatewayAsync(directory.FullName);
            for (var i = 0; i < repeats; i++)
            {
                var (start, scale, stop) = await GatewayRunAsync(gateway);
                gatewayStart.Add(start);
                gatewayScale.Add(scale);
                gatewayStop.Add(stop);
            }

            Console.WriteLine($"# local backend against bare Dask, median of {repeats}, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
            Console.WriteLine("| measure | bare Dask | gateway | ratio | target |");
            Console.WriteLine("|---|---|---|---|---|");
            Console.WriteLine(Row("start: POST → RUNNING vs a TLS dask-scheduler listening", Median(bareStart), Median(gatewayStart), "≤ 1.15×"));
            Console.WriteLine(Row("scale(2) → two workers connected vs two bare workers", Median(bareWorkers), Median(gatewayScale), "≤ 1.05×"));
            Console.WriteLine($"| shutdown with two workers → STOPPED | – | {Median(gatewayStop):0.000} s | – | < 0.3 s |");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Row(string what, double bare, double gateway, string target) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {bare:0.000} s | {gateway:0.000} s | {gateway / bare:0.00}× | {target} |");

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static (string Certificate, string Key) WriteCredentials(string directory)
    {
        using var rsa = RSA.Create(2048);
        var credentials = ClusterCredentialFactory.CreateCertificate(rsa, "bench", DateTimeOffset.UtcNow);
        var certificate = Path.Combine(directory, "dask.crt");
        var key = Path.Combine(directory, "dask.pem");
        File.WriteAllText(certificate, credentials.CertificatePem);
        File.WriteAllText(key, credentials.PrivateKeyPem);
        return (certificate, key);
    }

    /// <summary>A bare TLS scheduler until it listens, then two bare workers until both registered.</summary>
    private static async Task<(double Start, double Workers)> BareAsync(string directory, string certificate, string key)
    {
        var environment = new Dictionary<string, string>
        {
            ["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] = "True",
            ["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"] = certificate,
            ["DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__CERT"] = certificate,
            ["DASK_DISTRIBUTED__COMM__TLS__SCHEDULER__KEY"] = key,
            ["DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT"] = certificate,
            ["DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY"] = key,
        };
        var watch = Stopwatch.StartNew();
        using var scheduler = Start(["dask-scheduler", "--protocol", "tls", "--port", "0", "--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"], environment);
        var address = await WaitForLineAsync(scheduler, "Scheduler at:");
        var start = watch.Elapsed.TotalSeconds;
        address = address[(address.IndexOf("tls://", StringComparison.Ordinal))..].Trim();

        watch.Restart();
        var registered = CountLinesAsync(scheduler, "Register worker", 2);
        using var first = Start(["dask-worker", address, "--name", "a", "--nthreads", "1", "--memory-limit", "536870912", "--dashboard-address", "127.0.0.1:0"], environment);
        using var second = Start(["dask-worker", address, "--name", "b", "--nthreads", "1", "--memory-limit", "536870912", "--dashboard-address", "127.0.0.1:0"], environment);
        await registered;
        var workers = watch.Elapsed.TotalSeconds;
        foreach (var process in new[] { first, second, scheduler })
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (start, workers);
    }

    private static async Task<Gateway> GatewayAsync(string directory)
    {
        var config = new GatewayConfig();
        void Set(string section, string setting, object value) => config.Set(section, setting, value, SettingSource.Code);
        Set("DaskGateway", "Address", "127.0.0.1:0");
        Set("Proxy", "Address", "127.0.0.1:0");
        Set("DaskGateway", "LogLevel", "WARN");
        Set("DaskGateway", "BackendClass", "UnsafeLocalBackend");
        Set("DBBackendBase", "DbUrl", "sqlite:///:memory:");
        Set("DBBackendBase", "ClusterHeartbeatPeriod", 1);
        Set("LocalBackend", "ClustersDirectory", Path.Combine(directory, "clusters"));
        Set("ClusterConfig", "WorkerMemory", "512M");
        var components = GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes());
        var app = GatewayHost.Build(components, _ => { });
        await app.StartAsync();
        var (publicAddress, _) = GatewayHost.GetAddresses(app);
        var http = new HttpClient { BaseAddress = publicAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("alice:")));

        // A few clusters first, then a pause, as on a server that has run a while and is between
        // bursts of work: the JIT has compiled the hot paths again (its background tiering
        // otherwise takes a core for a second or two during the measured runs) and the credential
        // pool has refilled in the quiet (it makes keys only while nothing starts).
        var gateway = new Gateway(app, http);
        for (var warmUp = 0; warmUp < 3; warmUp++)
        {
            await GatewayRunAsync(gateway);
        }

        await Task.Delay(TimeSpan.FromSeconds(8));
        return gateway;
    }

    private static async Task<(double Start, double Scale, double Stop)> GatewayRunAsync(Gateway gateway)
    {
        var http = gateway.Http;
        var watch = Stopwatch.StartNew();
        using var created = await http.PostAsJsonAsync("api/v1/clusters/", new { cluster_options = new { } });
        var name = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;
        while ((await http.GetFromJsonAsync<JsonElement>($"api/v1/clusters/{name}?wait")).GetProperty("status").GetString() != "RUNNING")
        {
        }

        var start = watch.Elapsed.TotalSeconds;
        gateway.App.Services.GetRequiredService<ClusterRegistry>().TryGet(name, out var cluster);
        var log = Path.Combine(cluster!.State["workdir"]!.GetValue<string>(), "logs", "scheduler.log");

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        watch.Restart();
        using (await http.PostAsJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
        }

        var posted = watch.Elapsed.TotalSeconds;
        while (cluster.Workers.Values.Count(w => w.State.ContainsKey("pid")) < 2)
        {
            await Task.Delay(1);
        }

        var launched = watch.Elapsed.TotalSeconds;
        if (Environment.GetEnvironmentVariable("BENCH_TRACE") is not null)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} keys ready {gateway.App.Services.GetRequiredService<ClusterCredentialFactory>().ReadyKeys}, start {start:0.000} s");
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} scale: posted {posted:0.000} s, launched {launched:0.000} s");
        }

        while (File.ReadLines(log).Count(line => line.Contains("Register worker", StringComparison.Ordinal)) < 2)
        {
            await Task.Delay(5);
        }

        var scale = watch.Elapsed.TotalSeconds;
        if (Environment.GetEnvironmentVariable("BENCH_TRACE") is not null)
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} scale: gateway process CPU while workers started {(Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds:0} ms");
        }
        while (cluster.Workers.Values.Count(w => w.Status == JobStatus.Running) < 2)
        {
            await Task.Delay(5);
        }

        watch.Restart();
        using (await http.DeleteAsync($"api/v1/clusters/{name}"))
        {
        }

        while ((await http.GetFromJsonAsync<JsonElement>($"api/v1/clusters/{name}?wait")).GetProperty("status").GetString() != "STOPPED")
        {
        }

        return (start, scale, watch.Elapsed.TotalSeconds);
    }

    private static Process Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<string> WaitForLineAsync(Process process, string marker)
    {
        while (true)
        {
            var line = await process.StandardError.ReadLineAsync() ?? throw new InvalidOperationException("the scheduler exited");
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    private static async Task CountLinesAsync(Process process, string marker, int count)
    {
        var seen = 0;
        while (seen < count)
        {
            var line = await process.StandardError.ReadLineAsync() ?? throw new InvalidOperationException("the scheduler exited");
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                seen++;
            }
        }
    }

    private sealed class Gateway(Microsoft.AspNetCore.Builder.WebApplication app, HttpClient http) : IAsyncDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App { get; } = app;

        public HttpClient Http { get; } = http;

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
