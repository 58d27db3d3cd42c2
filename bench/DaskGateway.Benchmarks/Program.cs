using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Benchmarks;
using Microsoft.Extensions.DependencyInjection;

// Cluster life-cycle cost at growing cluster counts: the gateway in this process on loopback,
// clusters created over its HTTP API, their schedulers' heartbeats sent as the preload sends them,
// then every cluster stopped. The figure that matters is the cost per event as the number of
// clusters grows: it should stay flat (the reconciler never scans all clusters).
//
// Usage: dotnet run -c Release --project bench/DaskGateway.Benchmarks -- [counts, default 250,500,1000] [memory|sqlite]
// Other modes: `startup <executable> <extensions> [repeats]` (StartupBenchmark), `local [repeats]`
// (LocalBackendBenchmark), `proxy [repeats]` (ProxyBenchmark).
if (args.Length > 0 && args[0] == "startup")
{
    // startup <executable> <samples/extensions directory> [repeats]
    await StartupBenchmark.RunAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5);
    return;
}

if (args.Length > 0 && args[0] == "proxy")
{
    await ProxyBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5);
    return;
}

if (args.Length > 0 && args[0] == "local")
{
    await LocalBackendBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5);
    return;
}

var counts = (args.Length > 0 ? args[0] : "250,500,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var storeKind = args.Length > 1 ? args[1] : "sqlite";
Console.WriteLine($"# cluster life cycle, store: {storeKind}, {Environment.ProcessorCount} cores");
Console.WriteLine("| clusters | create (API) | start (credentials, submit) | first heartbeat (to RUNNING) | steady heartbeats | stop (to STOPPED) |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var count in counts)
{
    var row = await RunAsync(count, storeKind);
    Console.WriteLine(row);
}

static async Task<string> RunAsync(int count, string storeKind)
{
    var directory = Directory.CreateTempSubdirectory("dask-gateway-bench-");
    var config = new GatewayConfig();
    void Set(string section, string setting, object value) => config.Set(section, setting, value, SettingSource.Code);
    Set("DaskGateway", "Address", "127.0.0.1:0");
    Set("Proxy", "Address", "127.0.0.1:0");
    Set("DaskGateway", "LogLevel", "WARN");
    Set("DBBackendBase", "ClusterStartTimeout", 3600);
    Set("DBBackendBase", "ClusterHeartbeatPeriod", 600);
    Set("DBBackendBase", "DbUrl", storeKind == "sqlite" ? $"sqlite:///{Path.Combine(directory.FullName, "bench.sqlite")}" : "sqlite:///:memory:");
    Set("DBBackendBase", "DbEncryptKeys", new[] { Convert.ToBase64String(new byte[32]).Replace('+', '-').Replace('/', '_') });
    var components = GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes());
    var app = GatewayHost.Build(components, _ => { });
    await app.StartAsync();
    try
    {
        var (publicAddress, privateAddress) = GatewayHost.GetAddresses(app);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = publicAddress, Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("alice:")));
        var registry = app.Services.GetRequiredService<ClusterRegistry>();

        var watch = Stopwatch.StartNew();
        var names = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await http.PostAsJsonAsync("api/v1/clusters/", new { cluster_options = new { } }, ct);
            response.EnsureSuccessStatusCode();
            names[i] = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("name").GetString()!;
        });
        var create = watch.Elapsed;

        watch.Restart();
        await WaitAsync(() => registry.All.Count(c => c.Status == JobStatus.Submitted) == count);
        var start = watch.Elapsed;

        using var schedulers = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = privateAddress };
        async Task HeartbeatAllAsync()
        {
            await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            {
                registry.TryGet(names[i], out var cluster);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/clusters/{names[i]}/heartbeat")
                {
                    Content = JsonContent.Create(new
                    {
                        scheduler_address = $"tls://10.0.0.{i % 250}:{20000 + i}",
                        dashboard_address = $"http://10.0.0.{i % 250}:{30000 + i}",
                        api_address = $"http://10.0.0.{i % 250}:{40000 + i}",
                        count = 0,
                        active_workers = Array.Empty<string>(),
                        closing_workers = Array.Empty<string>(),
                        closed_workers = Array.Empty<string>(),
                    }),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("token", cluster!.Token);
                using var response = await schedulers.SendAsync(request, ct);
                response.EnsureSuccessStatusCode();
            });
        }

        watch.Restart();
        await HeartbeatAllAsync();
        await WaitAsync(() => registry.All.Count(c => c.Status == JobStatus.Running) == count);
        var firstHeartbeat = watch.Elapsed;

        const int rounds = 5;
        watch.Restart();
        for (var round = 0; round < rounds; round++)
        {
            await HeartbeatAllAsync();
        }

        var steady = watch.Elapsed / rounds;

        watch.Restart();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await http.DeleteAsync($"api/v1/clusters/{names[i]}", ct);
            response.EnsureSuccessStatusCode();
        });
        await WaitAsync(() => registry.All.Count(c => c.Status == JobStatus.Stopped) == count);
        var stop = watch.Elapsed;

        string PerEvent(TimeSpan total) => string.Create(CultureInfo.InvariantCulture, $"{total.TotalMilliseconds * 1000 / count:0} µs/cluster ({total.TotalSeconds:0.00} s)");
        return $"| {count} | {PerEvent(create)} | {PerEvent(start)} | {PerEvent(firstHeartbeat)} | {PerEvent(steady)} | {PerEvent(stop)} |";
    }
    finally
    {
        await app.StopAsync();
        await app.DisposeAsync();
        directory.Delete(recursive: true);
    }
}

static async Task WaitAsync(Func<bool> condition)
{
    var deadline = Stopwatch.StartNew();
    while (!condition())
    {
        if (deadline.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException("The gateway did not get there in 10 minutes");
        }

        await Task.Delay(5);
    }
}
