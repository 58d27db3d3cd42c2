using System.Net;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// A stand-in for a scheduler's preload HTTP API on loopback (protocol.md §3.4): <c>POST /api/comm</c>
/// with token authentication, recording what the gateway sends, and <c>GET /api/health</c>.
/// </summary>
public sealed class FakeScheduler : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeScheduler(WebApplication app, string token)
    {
        _app = app;
        Token = token;
    }

    public string Token { get; }

    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>The JSON bodies received on <c>/api/comm</c> with the right token.</summary>
    public ConcurrentQueue<JsonNode> Messages { get; } = new();

    public int Attempts => _attempts;

    /// <summary>The status the comm endpoint answers with (200 by default).</summary>
    public HttpStatusCode CommStatus { get; set; } = HttpStatusCode.OK;

    private int _attempts;

    public static async Task<FakeScheduler> StartAsync(string token)
    {
        FakeScheduler? scheduler = null;
        var (app, address) = await LoopbackServer.StartAsync(context => scheduler!.HandleAsync(context));
        scheduler = new FakeScheduler(app, token) { ApiAddress = address };
        return scheduler;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/api/health")
        {
            context.Response.StatusCode = 200;
            return;
        }

        if (context.Request.Path != "/api/comm" || context.Request.Method != "POST")
        {
            context.Response.StatusCode = 404;
            return;
        }

        Interlocked.Increment(ref _attempts);
        if (context.Request.Headers.Authorization.ToString() != "token " + Token)
        {
            context.Response.StatusCode = 403;
            return;
        }

        if (!(context.Request.ContentType ?? "").StartsWith("application/json", StringComparison.Ordinal))
        {
            context.Response.StatusCode = 415;
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
        if (CommStatus == HttpStatusCode.OK)
        {
            Messages.Enqueue(body);
        }

        context.Response.StatusCode = (int)CommStatus;
    }
}
