using System.Diagnostics;
using DaskGateway.Logging;

namespace DaskGateway.Api;

/// <summary>
/// What wraps every API request: one access-log line with its status and duration, and an error
/// boundary that answers an unexpected exception with a 500 in the API's error form (and logs it)
/// instead of a dropped connection.
/// </summary>
internal sealed partial class ApiMiddleware
{
    private readonly ILogger<ApiMiddleware> _logger;

    public ApiMiddleware(ILogger<ApiMiddleware> logger) => _logger = logger;

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (BadHttpRequestException e)
        {
            // A body cut short or over Kestrel's limits is the client's fault, not an error of the gateway.
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                var method = LogText.Escape(context.Request.Method);
                var path = LogText.Escape(context.Request.Path.Value);
                LogBadRequest(e.StatusCode, method, path, e.Message);
            }

            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await ApiResponse.WriteErrorAsync(context, e.StatusCode, "Bad request: " + e.Message);
            }
        }
        catch (Exception e)
        {
            LogUnhandled(e, LogText.Escape(context.Request.Method), LogText.Escape(context.Request.Path.Value));
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await ApiResponse.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal server error; see the gateway's log");
            }
        }
        finally
        {
            LogAccess(context, Stopwatch.GetElapsedTime(started));
        }
    }

    private void LogAccess(HttpContext context, TimeSpan elapsed)
    {
        var status = context.Response.StatusCode;
        // A 401 is the first half of every client's handshake, not a problem worth a warning.
        var level = status >= 500 ? LogLevel.Error
            : status >= 400 && status != StatusCodes.Status401Unauthorized ? LogLevel.Warning
            : context.Request.Path.Value == ApiRoutes.HealthPath ? LogLevel.Debug
            : LogLevel.Information;
        if (_logger.IsEnabled(level))
        {
            var method = LogText.Escape(context.Request.Method);
            var target = LogText.Escape(context.Request.PathBase.Value + context.Request.Path.Value + context.Request.QueryString.Value);
            LogRequest(level, status, method, target, elapsed.TotalMilliseconds);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ApiMiddlewareRequest, Message = "{StatusCode} {Method} {Target} {ElapsedMilliseconds:F3}ms")]
    private partial void LogRequest(LogLevel level, int statusCode, string method, string target, double elapsedMilliseconds);

    [LoggerMessage(EventId = GatewayEventIds.ApiMiddlewareBadRequest, Level = LogLevel.Debug, Message = "{StatusCode} for {Method} {Path}: {Reason}")]
    private partial void LogBadRequest(int statusCode, string method, string? path, string reason);

    [LoggerMessage(EventId = GatewayEventIds.ApiMiddlewareUnhandled, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string? path);
}
