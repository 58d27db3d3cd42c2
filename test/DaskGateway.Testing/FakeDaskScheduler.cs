using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// A scheduler as the gateway sees it (protocol.md §3.4–3.6): heartbeats with the cluster's token,
/// a <c>/api/comm</c> endpoint for scale and adapt, and worker bookkeeping (active, closing, closed).
/// </summary>
public sealed class FakeDaskScheduler : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly object _lock = new();
    private readonly HashSet<string> _active = [];
    private readonly HashSet<string> _closing = [];
    private readonly List<string> _closed = [];
    private readonly WebApplication _app;
    private readonly string _name;
    private readonly string _token;
    private readonly Uri _apiUrl;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);

    // Held while a heartbeat is decided on and sent, so that a pause can wait out the one in flight.
    private readonly SemaphoreSlim _sending = new(1, 1);
    private volatile bool _heartbeatsPaused;
    private Task _heartbeats = Task.CompletedTask;
    private int _count;

    private FakeDaskScheduler(WebApplication app, string name, string token, Uri apiUrl)
    {
        _app = app;
        _name = name;
        _token = token;
        _apiUrl = apiUrl;
    }

    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>What the heartbeats report as the scheduler's address: a TLS endpoint once <see cref="ServeTls"/> ran.</summary>
    public string SchedulerAddress => _tls is null ? "tls://127.0.0.1:" + ApiAddress.Port : _tls.TlsAddress;

    private TcpTestServer? _tls;

    public bool HeartbeatsPaused
    {
        get => _heartbeatsPaused;
        set => _heartbeatsPaused = value;
    }

    public int HeartbeatsSent { get; private set; }

    /// <summary>What heartbeats report as <c>client_count</c> (our preload's key); not sent while null, as upstream's preload does.</summary>
    public int? ClientCount { get; set; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public IReadOnlyCollection<string> ActiveWorkers
    {
        get
        {
            lock (_lock)
            {
                return [.. _active];
            }
        }
    }

    public static async Task<FakeDaskScheduler> StartAsync(string name, string token, Uri apiUrl, TimeSpan period, bool heartbeats)
    {
        FakeDaskScheduler? scheduler = null;
        var (app, address) = await LoopbackServer.StartAsync(context => scheduler!.HandleAsync(context));
        scheduler = new FakeDaskScheduler(app, name, token, apiUrl) { ApiAddress = address };
        if (heartbeats)
        {
            scheduler._heartbeats = scheduler.HeartbeatLoopAsync(period);
        }

        return scheduler;
    }

    /// <summary>A worker joins (what a started dask-worker does).</summary>
    public void Connect(string worker)
    {
        lock (_lock)
        {
            _active.Add(worker);
        }

        _wake.Release();
    }

    /// <summary>A worker leaves (killed, or retired).</summary>
    public void Disconnect(string worker)
    {
        lock (_lock)
        {
            if (_active.Remove(worker) | _closing.Remove(worker))
            {
                _closed.Add(worker);
            }
        }

        _wake.Release();
    }

    /// <summary>A worker vanishes without the scheduler remembering it (a scheduler restart, state drift).</summary>
    public void Forget(string worker)
    {
        lock (_lock)
        {
            _active.Remove(worker);
            _closing.Remove(worker);
        }

        _wake.Release();
    }

    /// <summary>
    /// Serves Dask's TLS with the cluster's credentials (see <see cref="ClusterTls.StartScheduler"/>,
    /// greeting <c>scheduler &lt;name&gt;</c>), reported as the scheduler address from the next heartbeat on.
    /// </summary>
    public void ServeTls(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        _tls = ClusterTls.StartScheduler(certificate, "scheduler " + _name);

    /// <summary>Pauses heartbeats; returns once none is in flight, so the gateway has applied the last one it will get.</summary>
    public async Task PauseHeartbeatsAsync()
    {
        _heartbeatsPaused = true;
        await _sending.WaitAsync(TestContext.Current.CancellationToken);
        _sending.Release();
    }

    /// <summary>Starts heartbeating, for a scheduler started without (so that it could serve TLS first).</summary>
    public void StartHeartbeats(TimeSpan period) => _heartbeats = HeartbeatLoopAsync(period);

    public async ValueTask DisposeAsync()
    {
        if (_tls is not null)
        {
            await _tls.DisposeAsync();
        }

        await _stop.CancelAsync();
        await _heartbeats;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
        _sending.Dispose();
    }

    private async Task HeartbeatLoopAsync(TimeSpan period)
    {
        while (!_stop.IsCancellationRequested)
        {
            await _sending.WaitAsync(CancellationToken.None);
            try
            {
                if (!_heartbeatsPaused)
                {
                    await SendHeartbeatAsync();
                }
            }
            finally
            {
                _sending.Release();
            }

            try
            {
                await _wake.WaitAsync(period, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendHeartbeatAsync()
    {
        string body;
        lock (_lock)
        {
            // Retire surplus workers as dask does: list them as closing, then as closed.
            foreach (var worker in _closing.ToList())
            {
                _closing.Remove(worker);
                _closed.Add(worker);
            }

            var surplus = _active.Count - _count;
            foreach (var worker in _active.Take(Math.Max(surplus, 0)).ToList())
            {
                _active.Remove(worker);
                _closing.Add(worker);
            }

            var message = new JsonObject
            {
                ["scheduler_address"] = SchedulerAddress,
                ["dashboard_address"] = "http://127.0.0.1:" + ApiAddress.Port,
                ["api_address"] = ApiAddress.ToString().TrimEnd('/'),
                ["count"] = _count,
                ["active_workers"] = new JsonArray([.. _active.Select(name => JsonValue.Create(name))]),
                ["closing_workers"] = new JsonArray([.. _closing.Select(name => JsonValue.Create(name))]),
                ["closed_workers"] = new JsonArray([.. _closed.Select(name => JsonValue.Create(name))]),
            };
            if (ClientCount is { } clients)
            {
                message["client_count"] = clients;
            }

            body = message.ToJsonString();
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_apiUrl, $"v1/clusters/{_name}/heartbeat"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("token", _token);
            using var response = await Http.SendAsync(request, _stop.Token);
            HeartbeatsSent++;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/api/health")
        {
            return;
        }

        if (context.Request.Path == "/status")
        {
            // The dashboard's page, as far as forwarding tests care.
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync($"<html><body>dashboard of {_name}; Host {context.Request.Host}; X-Forwarded-Prefix {context.Request.Headers["X-Forwarded-Prefix"]}</body></html>");
            return;
        }

        if (context.Request.Path != "/api/comm" || context.Request.Method != "POST")
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (context.Request.Headers.Authorization.ToString() != "token " + _token)
        {
            context.Response.StatusCode = 403;
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var message = JsonNode.Parse(await reader.ReadToEndAsync())!;
        lock (_lock)
        {
            switch (message["op"]!.GetValue<string>())
            {
                case "scale":
                    _count = message["count"]!.GetValue<int>();
                    break;
                case "adapt":
                    _count = message["minimum"]?.GetValue<int>() ?? 0;
                    break;
                default:
                    context.Response.StatusCode = 422;
                    return;
            }
        }

        _wake.Release();
    }
}
