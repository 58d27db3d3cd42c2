using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Proxy.Routing;
using DaskGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Benchmarks;

/// <summary>
/// Scheduler traffic through the gateway's public port (TLS kept end to end, routed by SNI) against
/// a direct TLS connection to the same endpoint, in two setups:
/// <list type="number">
/// <item>a TLS echo server in this process that behaves as a scheduler does for the proxy (its own
/// certificate, the client's required; <see cref="ClusterTls.StartScheduler"/>), also measured
/// through a bare socket forwarder (no peeking, no Kestrel) to show what the extra loopback hop
/// itself costs; 200 MiB sent while 200 MiB are read back, small-message round trips, and the memory
/// an idle proxied connection costs;</item>
/// <item>a real <c>dask-scheduler</c> with TLS and a Python client (dask_echo.py) calling its
/// <c>echo</c> handler directly (<c>tls://</c>) or through the gateway (<c>gateway://</c>).</item>
/// </list>
/// Every part shares the machine's cores: a path's extra CPU time is throughput taken from the ends.
/// </summary>
internal static partial class ProxyBenchmark
{
    private const long Volume = 200L * 1024 * 1024;
    private const int Chunk = 64 * 1024;
    private const int RoundTrips = 20_000;
    private const int MessageSize = 64;
    private const int IdleConnections = 1000;
    private const string Cluster = "bench";

    public static async Task RunAsync(int repeats)
    {
        using var key = RSA.Create(2048);
        using var ephemeral = new CertificateRequest("CN=scheduler", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var certificate = X509Certificate2.CreateFromPem(ephemeral.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
        await using var scheduler = ClusterTls.StartScheduler(certificate, "scheduler " + Cluster);
        await using var forwarder = TcpTestServer.Start(client => ForwardAsync(client, scheduler.EndPoint));
        await using var splicer = TcpTestServer.Start(client => SpliceForwarder.ForwardAsync(client, scheduler.EndPoint));
        var app = await StartGatewayAsync();
        try
        {
            var routes = app.Services.GetRequiredService<RouteTable>();
            routes.Put(ProxyRoute.Sni(Cluster, scheduler.TlsAddress));
            var gateway = new IPEndPoint(IPAddress.Loopback, GatewayHost.GetAddresses(app).Public.Port);
            (string Name, IPEndPoint EndPoint)[] paths = [("direct TLS", scheduler.EndPoint), ("through the gateway", gateway), ("bare socket forwarder", forwarder.EndPoint), ("splice forwarder", splicer.EndPoint)];

            // Warm every path (JIT, pools) before measuring.
            foreach (var (_, endPoint) in paths)
            {
                await ThroughputAsync(endPoint, certificate, Volume / 10);
                await RoundTripsAsync(endPoint, certificate, 2000);
            }

            var rates = paths.Select(_ => new List<(double Rate, double CpuPerGiB)>()).ToArray();
            var trips = paths.Select(_ => new List<(double Mean, double P50, double P99)>()).ToArray();
            for (var i = 0; i < repeats; i++)
            {
                // Interleaved, so that no path always runs on a quieter or busier machine.
                for (var p = 0; p < paths.Length; p++)
                {
                    rates[p].Add(await ThroughputAsync(paths[p].EndPoint, certificate, Volume));
                    trips[p].Add(await RoundTripsAsync(paths[p].EndPoint, certificate, RoundTrips));
                }
            }

            var directMemory = await IdleMemoryAsync(scheduler.EndPoint, certificate);
            var gatewayMemory = await IdleMemoryAsync(gateway, certificate);

            Console.WriteLine($"# TLS echo server in this process, {repeats} interleaved runs (best throughput, lowest CPU, median latency), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}");
            Console.WriteLine("| measure | " + string.Join(" | ", paths.Select(p => p.Name)) + " | gateway ÷ direct | target |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            var best = rates.Select(r => r.Max(x => x.Rate)).ToArray();
            var cpu = rates.Select(r => r.Min(x => x.CpuPerGiB)).ToArray();
            var mean = trips.Select(t => Median(t.Select(x => x.Mean))).ToArray();
            var p50 = trips.Select(t => Median(t.Select(x => x.P50))).ToArray();
            var p99 = trips.Select(t => Median(t.Select(x => x.P99))).ToArray();
            Console.WriteLine(Invariant($"| throughput, 200 MiB each way at once | {best[0]:0} MiB/s | {best[1]:0} MiB/s | {best[2]:0} MiB/s | {best[3]:0} MiB/s | {best[1] / best[0]:0.00}× (splice {best[3] / best[0]:0.00}×) | ≥ 0.95× |"));
            Console.WriteLine(Invariant($"| CPU time of all parts per GiB each way | {cpu[0]:0.00} s | {cpu[1]:0.00} s | {cpu[2]:0.00} s | {cpu[3]:0.00} s | {cpu[0] / cpu[1]:0.00}× | – |"));
            Console.WriteLine(Invariant($"| round trip of {MessageSize} B, mean | {mean[0]:0.0} µs | {mean[1]:0.0} µs | {mean[2]:0.0} µs | {mean[3]:0.0} µs | +{mean[1] - mean[0]:0.0} µs | < +100 µs |"));
            Console.WriteLine(Invariant($"| round trip of {MessageSize} B, p50 / p99 | {p50[0]:0.0} / {p99[0]:0.0} µs | {p50[1]:0.0} / {p99[1]:0.0} µs | {p50[2]:0.0} / {p99[2]:0.0} µs | {p50[3]:0.0} / {p99[3]:0.0} µs | +{p50[1] - p50[0]:0.0} / +{p99[1] - p99[0]:0.0} µs | – |"));
            Console.WriteLine(Invariant($"| managed memory per idle connection ({IdleConnections} held) | {directMemory:0.0} KiB | {gatewayMemory:0.0} KiB | – | – | +{gatewayMemory - directMemory:0.0} KiB | – |"));

            await RealSchedulerAsync(routes, gateway, key, certificate, repeats);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<WebApplication> StartGatewayAsync()
    {
        var config = new GatewayConfig();
        config.Set("DaskGateway", "Address", "127.0.0.1:0", SettingSource.Code);
        config.Set("Proxy", "Address", "127.0.0.1:0", SettingSource.Code);
        config.Set("DaskGateway", "LogLevel", "WARN", SettingSource.Code);
        config.Set("DaskGateway", "BackendClass", "unmanaged", SettingSource.Code);
        config.Set("DBBackendBase", "DbUrl", "sqlite:///:memory:", SettingSource.Code);
        var app = GatewayHost.Build(GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes()), _ => { });
        await app.StartAsync();
        return app;
    }

    /// <summary>The baseline: a plain copy loop each way between two sockets, 64 KiB at a time.</summary>
    private static async Task ForwardAsync(Socket client, IPEndPoint target)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await upstream.ConnectAsync(target);
        client.NoDelay = true;
        await Task.WhenAll(CopyAsync(client, upstream), CopyAsync(upstream, client));

        static async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[Chunk];
            int count;
            while ((count = await from.ReceiveAsync(buffer)) > 0)
            {
                for (var sent = 0; sent < count;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, count - sent));
                }
            }

            to.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>
    /// MiB/s in each direction (<paramref name="volume"/> bytes written while the echo is read back),
    /// and this process's CPU time per GiB: on a machine shared with other work, the CPU time tells
    /// a path's cost more steadily than the clock.
    /// </summary>
    private static async Task<(double Rate, double CpuPerGiB)> ThroughputAsync(IPEndPoint endPoint, X509Certificate2 certificate, long volume)
    {
        await using var tls = await ConnectAsync(endPoint, certificate);
        var cpu = CpuTime();
        var watch = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            var chunk = new byte[Chunk];
            for (long sent = 0; sent < volume; sent += Chunk)
            {
                await tls.WriteAsync(chunk.AsMemory(0, (int)Math.Min(Chunk, volume - sent)));
            }
        });
        var buffer = new byte[Chunk];
        for (long received = 0; received < volume;)
        {
            var count = await tls.ReadAsync(buffer);
            if (count == 0)
            {
                throw new IOException($"the echo ended after {received} bytes");
            }

            received += count;
        }

        await send;
        var mebibytes = volume / (1024.0 * 1024.0);
        return (mebibytes / watch.Elapsed.TotalSeconds, (CpuTime() - cpu).TotalSeconds / (mebibytes / 1024));
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>Mean, median and 99th percentile of a small message's round trip, in µs.</summary>
    private static async Task<(double Mean, double P50, double P99)> RoundTripsAsync(IPEndPoint endPoint, X509Certificate2 certificate, int count)
    {
        await using var tls = await ConnectAsync(endPoint, certificate);
        var message = new byte[MessageSize];
        var echo = new byte[MessageSize];
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await tls.WriteAsync(message);
            await tls.ReadExactlyAsync(echo);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(times);
        return (times.Average(), times[count / 2], times[count * 99 / 100]);
    }

    /// <summary>Managed KiB per connection: <see cref="IdleConnections"/> connections opened, handshaken and left idle.</summary>
    private static async Task<double> IdleMemoryAsync(IPEndPoint endPoint, X509Certificate2 certificate)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var connections = new List<SslStream>(IdleConnections);
        try
        {
            for (var i = 0; i < IdleConnections; i += 50)
            {
                connections.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ConnectAsync(endPoint, certificate))));
            }

            await Task.Delay(500);
            return (GC.GetTotalMemory(forceFullCollection: true) - before) / 1024.0 / IdleConnections;
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            await Task.Delay(500);
        }
    }

    private static async Task<SslStream> ConnectAsync(IPEndPoint endPoint, X509Certificate2 certificate)
    {
        var tls = await ClusterTls.ConnectAsync(endPoint, Cluster, certificate);
        if (await ClusterTls.ReadLineAsync(tls) != "scheduler " + Cluster)
        {
            throw new InvalidOperationException("not the scheduler");
        }

        return tls;
    }

    /// <summary>A real TLS dask-scheduler, its echo handler called by dask_echo.py directly and through the gateway.</summary>
    private static async Task RealSchedulerAsync(RouteTable routes, IPEndPoint gateway, RSA key, X509Certificate2 certificate, int repeats)
    {
        var directory = Directory.CreateTempSubdirectory("dask-gateway-bench-proxy-");
        var certFile = Path.Combine(directory.FullName, "dask.crt");
        var keyFile = Path.Combine(directory.FullName, "dask.pem");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-m", "distributed.cli.dask_scheduler", "--protocol", "tls", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--tls-ca-file", certFile, "--tls-cert", certFile, "--tls-key", keyFile })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        try
        {
            var address = await SchedulerAddressAsync(process);
            routes.Put(ProxyRoute.Sni("bench-dask", address));
            var endPoint = IPEndPoint.Parse(address["tls://".Length..]);
            await using var forwarder = TcpTestServer.Start(client => ForwardAsync(client, endPoint));
            string[] targets = [address, $"gateway://127.0.0.1:{gateway.Port}/bench-dask", $"tls://127.0.0.1:{forwarder.EndPoint.Port}"];
            var results = targets.Select(_ => new List<JsonElement>()).ToArray();
            for (var i = 0; i < repeats; i++)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    results[t].Add(await EchoAsync(targets[t], certFile, keyFile));
                }
            }

            double Best(int t, string field) => results[t].Max(r => r.GetProperty(field).GetDouble());
            double Mid(int t, string field) => Median(results[t].Select(r => r.GetProperty(field).GetDouble()));
            Console.WriteLine();
            Console.WriteLine($"# real dask-scheduler (TLS) and Python client, echo handler, {repeats} interleaved runs");
            Console.WriteLine("| measure | direct tls:// | gateway:// through the gateway | bare socket forwarder | gateway ÷ direct | target |");
            Console.WriteLine("|---|---|---|---|---|---|");
            Console.WriteLine(Invariant($"| throughput, 200 MiB sent and received in 4 MiB echoes | {Best(0, "throughput"):0} MiB/s | {Best(1, "throughput"):0} MiB/s | {Best(2, "throughput"):0} MiB/s | {Best(1, "throughput") / Best(0, "throughput"):0.00}× | ≥ 0.95× |"));
            Console.WriteLine(Invariant($"| round trip of a 64 B echo, mean | {Mid(0, "mean"):0} µs | {Mid(1, "mean"):0} µs | {Mid(2, "mean"):0} µs | +{Mid(1, "mean") - Mid(0, "mean"):0} µs | < +100 µs |"));
            Console.WriteLine(Invariant($"| round trip of a 64 B echo, p50 / p99 | {Mid(0, "p50"):0} / {Mid(0, "p99"):0} µs | {Mid(1, "p50"):0} / {Mid(1, "p99"):0} µs | {Mid(2, "p50"):0} / {Mid(2, "p99"):0} µs | +{Mid(1, "p50") - Mid(0, "p50"):0} / +{Mid(1, "p99") - Mid(0, "p99"):0} µs | – |"));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<string> SchedulerAddressAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            if (SchedulerAt().Match(line) is { Success: true } match)
            {
                _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
                return match.Groups["address"].Value;
            }
        }

        throw new InvalidOperationException("dask-scheduler exited before listening");
    }

    private static async Task<JsonElement> EchoAsync(string address, string certFile, string keyFile)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "dask_echo.py"), address, certFile, keyFile })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dask_echo.py {address} failed: {await error}");
        }

        return JsonDocument.Parse(await output).RootElement.Clone();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Scheduler at:\s+(?<address>tls://\S+)")]
    private static partial Regex SchedulerAt();
}
