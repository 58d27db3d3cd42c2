using System.Net;
using System.Text.Json;
using DaskGateway.Logging;
using DaskGateway.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace DaskGateway.Proxy.Http;

/// <summary>
/// HTTP path routing on the public listener (protocol.md §2.4): a request under a PATH route's
/// prefix (a cluster's dashboard, <c>&lt;prefix&gt;/clusters/&lt;name&gt;</c>) is forwarded to the
/// route's target with the prefix removed, WebSockets included, by YARP's <see cref="IHttpForwarder"/>.
/// The API route (<c>&lt;prefix&gt;/</c>) is left to the caller: the gateway serves it itself, and
/// a standalone proxy forwards it to the API server it follows. Forwarding failures are answered
/// 502 (or 504 on a timeout) with a JSON error, never an exception.
/// </summary>
internal sealed partial class HttpRouteForwarder : IDisposable
{
    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        // Dashboards hold WebSockets open and may be quiet for a while between updates.
        ActivityTimeout = TimeSpan.FromMinutes(15),
    };

    private readonly RouteTable _routes;
    private readonly IHttpForwarder _forwarder;
    private readonly string _apiRoutePath;
    private readonly HttpMessageInvoker _client;
    private readonly ForwardedHeadersTransformer _dashboardTransformer;
    private readonly ILogger<HttpRouteForwarder> _logger;

    public HttpRouteForwarder(RouteTable routes, IHttpForwarder forwarder, ProxyOptions options, ILogger<HttpRouteForwarder> logger)
    {
        _routes = routes;
        _forwarder = forwarder;
        _apiRoutePath = RouteTable.NormalizePath(options.ApiRoutePath);
        _logger = logger;
        _dashboardTransformer = ForwardedHeadersTransformer.Dashboard(new GatewayCookie(options.AuthCookieName));
        _client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = options.ConnectTimeout,
            EnableMultipleHttp2Connections = true,
        });
    }

    /// <summary>Whether a route other than the API's matches the request's full path (before any prefix is removed).</summary>
    public bool TryMatch(HttpContext context, out ProxyRoute route, out string remaining)
    {
        var path = context.Request.PathBase.Value + context.Request.Path.Value;
        return _routes.TryMatchPath(path, out route, out remaining) && RouteTable.NormalizePath(route.Key) != _apiRoutePath;
    }

    /// <summary>Forwards to the route's target (a dashboard), the matched prefix removed from the path, the user's gateway credentials withheld.</summary>
    public Task ForwardAsync(HttpContext context, ProxyRoute route, string remaining)
    {
        var request = context.Request;
        var fullPath = request.PathBase.Value + request.Path.Value;
        request.PathBase = new PathString(fullPath[..^remaining.Length]);
        request.Path = new PathString(remaining);
        return ForwardAsync(context, route.Target!, _dashboardTransformer);
    }

    /// <summary>Forwards to the API at <paramref name="destinationPrefix"/> with the request's current path (<c>PathBase</c> is not sent).</summary>
    public Task ForwardAsync(HttpContext context, string destinationPrefix) => ForwardAsync(context, destinationPrefix, ForwardedHeadersTransformer.Api);

    private async Task ForwardAsync(HttpContext context, string destinationPrefix, ForwardedHeadersTransformer transformer)
    {
        var error = await _forwarder.SendAsync(context, destinationPrefix, _client, RequestConfig, transformer);
        if (error == ForwarderError.None)
        {
            return;
        }

        var exception = context.GetForwarderErrorFeature()?.Exception;
        if (error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.UpgradeRequestCanceled)
        {
            // The client went away; nothing to report.
            return;
        }

        LogForwardingFailed(exception, context.Request.Method, LogText.Escape(context.Request.PathBase.Value + context.Request.Path.Value), LogText.Escape(destinationPrefix), error);
        if (!context.Response.HasStarted)
        {
            // YARP has set 502 or 504; say why in the API's error shape.
            var status = context.Response.StatusCode is StatusCodes.Status504GatewayTimeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
            await WriteErrorAsync(context, status, status == StatusCodes.Status504GatewayTimeout ? "Gateway Timeout: the target did not answer in time" : "Bad Gateway: the target could not be reached");
        }
    }

    /// <summary>Writes <c>{"error": message}</c> (the API's error shape) with <paramref name="statusCode"/>.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int statusCode, string message)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["error"] = message });
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = GatewayEventIds.HttpRouteForwarderForwardingFailed, Level = LogLevel.Warning, Message = "Forwarding {Method} {Path} to {Destination} failed: {Error}")]
    private partial void LogForwardingFailed(Exception? exception, string method, string path, string destination, ForwarderError error);
}
