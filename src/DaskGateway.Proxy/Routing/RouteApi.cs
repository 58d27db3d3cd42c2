using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DaskGateway.Logging;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Proxy.Routing;

/// <summary>
/// <c>GET /api/v1/routes</c> (protocol.md §2.5): the whole route table, or with <c>?watch</c> a
/// never-ending stream of newline-delimited <c>{"events": [...]}</c> messages, for standalone
/// proxies. Protected by <c>Authorization: token &lt;Proxy.ApiToken&gt;</c>. Unlike the rest of
/// the API, errors are plain text <c>"&lt;code&gt;: &lt;reason&gt;"</c>, as upstream's are.
/// </summary>
internal sealed partial class RouteApi
{
    public const string Path = "/api/v1/routes";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };
    private readonly RouteTable _routes;
    private readonly byte[] _token;
    private readonly CancellationToken _stopping;
    private readonly ILogger<RouteApi> _logger;

    public RouteApi(RouteTable routes, ProxyOptions options, IHostApplicationLifetime lifetime, ILogger<RouteApi> logger)
    {
        _routes = routes;
        _token = Encoding.UTF8.GetBytes(options.ApiToken);
        _stopping = lifetime.ApplicationStopping;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method))
        {
            context.Response.Headers.Allow = "GET";
            await WritePlainErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "Method Not Allowed");
            return;
        }

        if (!IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.Headers.WWWAuthenticate = "token";
            await WritePlainErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
            return;
        }

        var query = context.Request.Query;
        if (query["watch"].ToString().Length == 0)
        {
            await WriteTableAsync(context);
            return;
        }

        var lastIdText = query["last_id"].ToString();
        long lastId = 0;
        if (lastIdText.Length > 0 && !TryParsePythonInt(lastIdText, out lastId))
        {
            await WritePlainErrorAsync(context, StatusCodes.Status422UnprocessableEntity, $"invalid `last_id`: {lastIdText}");
            return;
        }

        using var watcher = _routes.Watch(lastId);
        if (watcher is null)
        {
            await WritePlainErrorAsync(context, StatusCodes.Status410Gone, "Gone");
            return;
        }

        await StreamAsync(context, watcher);
    }

    private async Task WriteTableAsync(HttpContext context)
    {
        var (routes, id) = _routes.Snapshot();
        var body = Render(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("routes");
            foreach (var route in routes)
            {
                RouteJson.Write(writer, route);
            }

            writer.WriteEndArray();
            writer.WriteNumber("id", id);
            writer.WriteEndObject();
        });
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>First the missed events in one message (if any), then one message per event, until shutdown or the client leaves.</summary>
    private async Task StreamAsync(HttpContext context, RouteWatcher watcher)
    {
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            // The headers go out now: a follower waits for them before anything changes. A watch that
            // arrives as the gateway shuts down ends here, quietly, like one that was already streaming.
            await response.StartAsync(end.Token);
            await response.Body.FlushAsync(end.Token);
            if (watcher.Backlog.Count > 0)
            {
                await WriteEventsAsync(response, watcher.Backlog, end.Token);
            }

            var batch = new List<RouteEvent>(1);
            while (await watcher.Events.WaitToReadAsync(end.Token))
            {
                while (watcher.Events.TryRead(out var routeEvent))
                {
                    batch.Add(routeEvent);
                    await WriteEventsAsync(response, batch, end.Token);
                    batch.Clear();
                }
            }

            LogWatchEnded(context.TraceIdentifier);
        }
        catch (OperationCanceledException) when (end.IsCancellationRequested)
        {
            // Shutdown, or the follower went away: the stream simply ends.
        }
    }

    private static async Task WriteEventsAsync(HttpResponse response, IReadOnlyList<RouteEvent> events, CancellationToken cancellationToken)
    {
        var message = Render(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var routeEvent in events)
            {
                RouteJson.Write(writer, routeEvent);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }, newline: true);
        await response.Body.WriteAsync(message, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private bool IsAuthorized(string header)
    {
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !header.AsSpan(0, space).Equals("token", StringComparison.OrdinalIgnoreCase) || _token.Length == 0)
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(header[(space + 1)..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _token);
    }

    /// <summary>As Python's <c>int()</c>: surrounding spaces, a sign and digits (underscores between digits are too rare to matter).</summary>
    private static bool TryParsePythonInt(string text, out long value)
    {
        value = 0;
        if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        // Ids beyond a long are as old (negative) or as new (positive) as ids get: the watch answers 410 either way.
        value = number < long.MinValue ? long.MinValue : number > long.MaxValue ? long.MaxValue : (long)number;
        return true;
    }

    /// <summary>aiohttp's plain-text error: the reason in the status line and <c>"&lt;code&gt;: &lt;reason&gt;"</c> as the body.</summary>
    private static async Task WritePlainErrorAsync(HttpContext context, int statusCode, string reason)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        if (context.Features.Get<IHttpResponseFeature>() is { } feature && reason.All(c => c is >= ' ' and <= '~'))
        {
            // Only printable ASCII goes into the status line (last_id comes from the request).
            feature.ReasonPhrase = reason;
        }

        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{statusCode}: {reason}"));
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static ReadOnlyMemory<byte> Render(Action<Utf8JsonWriter> write, bool newline = false)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        if (newline)
        {
            buffer.Write("\n"u8);
        }

        return buffer.WrittenMemory;
    }

    [LoggerMessage(EventId = GatewayEventIds.RouteApiWatchEnded, Level = LogLevel.Debug, Message = "Route watch {RequestId} ended: the follower fell too far behind")]
    private partial void LogWatchEnded(string requestId);
}
