using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Hosting;
using DaskGateway.Logging;
using DaskGateway.Proxy.Routing;

namespace DaskGateway.Api;

/// <summary>
/// The HTTP API of protocol.md §1.3. Routes are matched here rather than by endpoint routing
/// because the protocol makes trailing slashes significant (<c>/api/v1/clusters/</c> lists,
/// <c>/api/v1/clusters</c> is a 404), which endpoint routing ignores.
/// </summary>
internal sealed partial class GatewayApi
{
    private const string ClustersPrefix = "/api/v1/clusters/";
    private static readonly string Version = typeof(GatewayApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly IClusterService _clusters;
    private readonly UserAuthentication _authentication;
    private readonly RouteApi _routes;
    private readonly int _maxBodySize;
    private readonly ILogger<GatewayApi> _logger;

    public GatewayApi(IClusterService clusters, UserAuthentication authentication, RouteApi routes, GatewaySettings settings, ILogger<GatewayApi> logger)
    {
        _clusters = clusters;
        _authentication = authentication;
        _routes = routes;
        _maxBodySize = settings.MaxRequestBodySize;
        _logger = logger;
    }

    private enum Route
    {
        None,
        Health,
        Version,
        Options,
        Clusters,
        Cluster,
        Scale,
        Adapt,
        Heartbeat,
        Events,
        Routes,
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await DispatchAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
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

    private Task DispatchAsync(HttpContext context)
    {
        var (route, name) = Match(context.Request.Path.Value ?? "");
        var method = context.Request.Method;
        return (route, method) switch
        {
            (Route.Health, "GET") => WriteAsync(context, Health()),
            (Route.Version, "GET") => WriteAsync(context, VersionInfo()),
            (Route.Options, "GET") => _authentication.HandleAsync(context, GetOptionsAsync),
            (Route.Clusters, "GET") => _authentication.HandleAsync(context, user => Task.FromResult(ListClusters(context, user))),
            (Route.Clusters, "POST") => _authentication.HandleAsync(context, user => CreateClusterAsync(context, user)),
            (Route.Cluster, "GET") => _authentication.HandleAsync(context, user => GetClusterAsync(context, user, name)),
            (Route.Cluster, "DELETE") => StopClusterAsync(context, name),
            (Route.Scale, "POST") => _authentication.HandleAsync(context, user => ScaleAsync(context, user, name)),
            (Route.Adapt, "POST") => _authentication.HandleAsync(context, user => AdaptAsync(context, user, name)),
            (Route.Heartbeat, "POST") => HeartbeatAsync(context, name),
            (Route.Events, "GET") => _authentication.HandleAsync(context, user => GetEventsAsync(context, user, name)),

            // For standalone proxies, on the private listener only: the table names every scheduler.
            (Route.Routes, _) when !GatewayHost.IsPublic(context) => _routes.HandleAsync(context),
            (Route.Routes, _) => ApiResponse.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found"),
            (Route.None, _) => ApiResponse.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found"),
            _ => MethodNotAllowedAsync(context, route),
        };
    }

    private static (Route Route, string Name) Match(string path)
    {
        switch (path)
        {
            case "/api/health":
                return (Route.Health, "");
            case "/api/version":
                return (Route.Version, "");
            case "/api/v1/options":
                return (Route.Options, "");
            case ClustersPrefix:
                return (Route.Clusters, "");
            case RouteApi.Path:
                return (Route.Routes, "");
        }

        if (!path.StartsWith(ClustersPrefix, StringComparison.Ordinal))
        {
            return (Route.None, "");
        }

        var rest = path.AsSpan(ClustersPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return (Route.Cluster, rest.ToString());
        }

        var name = rest[..slash];
        if (name.IsEmpty)
        {
            return (Route.None, "");
        }

        var route = rest[(slash + 1)..] switch
        {
            "scale" => Route.Scale,
            "adapt" => Route.Adapt,
            "heartbeat" => Route.Heartbeat,
            "events" => Route.Events,
            _ => Route.None,
        };
        return (route, route == Route.None ? "" : name.ToString());
    }

    private static Task MethodNotAllowedAsync(HttpContext context, Route route)
    {
        var allowed = route switch
        {
            Route.Clusters => "GET, POST",
            Route.Cluster => "GET, DELETE",
            Route.Scale or Route.Adapt or Route.Heartbeat => "POST",
            Route.Events => "GET",
            _ => "GET",
        };
        context.Response.Headers.Allow = allowed;
        return ApiResponse.WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"Method {context.Request.Method} is not allowed here; allowed: {allowed}");
    }

    private static Task WriteAsync(HttpContext context, ApiResponse response) => response.WriteAsync(context);

    private static ApiResponse Health() => ApiResponse.Json(200, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("status", "pass");
        writer.WriteEndObject();
    });

    private static ApiResponse VersionInfo() => ApiResponse.Json(200, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("version", Version);
        writer.WriteEndObject();
    });

    private async Task<ApiResponse> GetOptionsAsync(User user)
    {
        var options = await _clusters.GetOptionsAsync(user);
        if (options.Error is { } error)
        {
            return ApiResponse.Error(error);
        }

        return ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("cluster_options");
            options.Value!.WriteSpecification(writer);
            writer.WriteEndObject();
        });
    }

    private ApiResponse ListClusters(HttpContext context, User user)
    {
        HashSet<ClusterStatus>? statuses = null;
        if (context.Request.Query.TryGetValue("status", out var values))
        {
            statuses = [];
            foreach (var item in values.ToString().Split(','))
            {
                if (!ClusterStatusNames.TryParse(item, out var status))
                {
                    return ApiResponse.Error(422, $"{PythonRepr(item)} is not a valid ClusterStatus");
                }

                statuses.Add(status);
            }
        }

        var clusters = _clusters.List(user, statuses);
        return ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            foreach (var cluster in clusters)
            {
                writer.WritePropertyName(cluster.Name);
                ClusterJson.Write(writer, cluster);
            }

            writer.WriteEndObject();
        });
    }

    private async Task<ApiResponse> CreateClusterAsync(HttpContext context, User user)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        body!.TryGetValue("cluster_options", out var requested);
        var created = await _clusters.CreateAsync(user, requested ?? new Dictionary<string, object?>());
        if (created.Error is { } createError)
        {
            return ApiResponse.Error(createError);
        }

        return ApiResponse.Json(201, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name", created.Value);
            writer.WriteEndObject();
        });
    }

    private async Task<ApiResponse> GetClusterAsync(HttpContext context, User user, string name)
    {
        var cluster = await _clusters.GetAsync(user, name, WantsWait(context.Request.Query), context.RequestAborted);
        return cluster.Error is { } error
            ? ApiResponse.Error(error)
            : ApiResponse.Json(200, writer => ClusterJson.Write(writer, cluster.Value!));
    }

    private async Task StopClusterAsync(HttpContext context, string name)
    {
        // The scheduler stops its own cluster with its token (idle timeout); users must own the cluster.
        if (TryGetToken(context, out var token))
        {
            if (await _clusters.CheckClusterTokenAsync(name, token, context.RequestAborted) == ClusterTokenCheck.Valid)
            {
                await _clusters.StopAsync(user: null, name);
                await ApiResponse.Empty(StatusCodes.Status204NoContent).WriteAsync(context);
                return;
            }
        }

        await _authentication.HandleAsync(context, async user =>
        {
            var error = await _clusters.StopAsync(user, name);
            return error is null ? ApiResponse.Empty(StatusCodes.Status204NoContent) : ApiResponse.Error(error);
        });
    }

    private async Task<ApiResponse> ScaleAsync(HttpContext context, User user, string name)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        body!.TryGetValue("count", out var count);
        if (!TryGetWorkerCount(count, out var workers))
        {
            return ApiResponse.Error(422, $"Scale expects a non-negative integer, got {PythonStr(count)}");
        }

        return ScaleReplyResponse(await _clusters.ScaleAsync(user, name, workers, context.RequestAborted));
    }

    private async Task<ApiResponse> AdaptAsync(HttpContext context, User user, string name)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        body!.TryGetValue("minimum", out var minimumValue);
        body.TryGetValue("maximum", out var maximumValue);
        int? minimum = null, maximum = null;
        if (minimumValue is not null)
        {
            if (!TryGetWorkerCount(minimumValue, out var value))
            {
                return ApiResponse.Error(422, $"Adapt expects minimum to be a non-negative integer or null, got {PythonStr(minimumValue)}");
            }

            minimum = value;
        }

        if (maximumValue is not null)
        {
            if (!TryGetWorkerCount(maximumValue, out var value))
            {
                return ApiResponse.Error(422, $"Adapt expects maximum to be a non-negative integer or null, got {PythonStr(maximumValue)}");
            }

            maximum = value;
        }

        if (minimum > maximum)
        {
            return ApiResponse.Error(422, $"Adapt expects minimum <= maximum, got minimum={minimum}, maximum={maximum}");
        }

        var active = true;
        if (body.TryGetValue("active", out var activeValue) && activeValue is not null)
        {
            if (activeValue is not bool flag)
            {
                return ApiResponse.Error(422, $"Adapt expects active to be a boolean, got {PythonStr(activeValue)}");
            }

            active = flag;
        }

        return ScaleReplyResponse(await _clusters.AdaptAsync(user, name, new AdaptRequest(minimum, maximum, active), context.RequestAborted));
    }

    private async Task HeartbeatAsync(HttpContext context, string name)
    {
        // Both answers come before the body is read: nobody without the cluster's token, and no
        // heartbeat for a cluster that is gone, costs the gateway more than a token check.
        var check = TryGetToken(context, out var token) ? await _clusters.CheckClusterTokenAsync(name, token, context.RequestAborted) : ClusterTokenCheck.Invalid;
        if (check == ClusterTokenCheck.Invalid)
        {
            context.Response.Headers.WWWAuthenticate = "token";
            await ApiResponse.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
            return;
        }

        if (check == ClusterTokenCheck.UnknownCluster)
        {
            await ApiResponse.Empty(StatusCodes.Status200OK).WriteAsync(context);
            return;
        }

        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            await bodyError.WriteAsync(context);
            return;
        }

        if (!HeartbeatReader.TryRead(body!, out var heartbeat, out var problem))
        {
            await ApiResponse.WriteErrorAsync(context, StatusCodes.Status422UnprocessableEntity, problem);
            return;
        }

        if (await _clusters.OnHeartbeatAsync(name, heartbeat) is { } refused)
        {
            await ApiResponse.WriteErrorAsync(context, refused.StatusCode, refused.Message);
            return;
        }

        await ApiResponse.Empty(StatusCodes.Status200OK).WriteAsync(context);
    }

    /// <summary>The cluster's timeline (our route; the client never reads it): <c>{"events": [{"time", "kind", "message"}]}</c>.</summary>
    private async Task<ApiResponse> GetEventsAsync(HttpContext context, User user, string name)
    {
        var events = await _clusters.GetEventsAsync(user, name, context.RequestAborted);
        return events.Error is { } error
            ? ApiResponse.Error(error)
            : ApiResponse.Json(200, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("events");
                foreach (var clusterEvent in events.Value!)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("time", clusterEvent.Time);
                    writer.WriteString("kind", clusterEvent.Kind);
                    writer.WriteString("message", clusterEvent.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
    }

    private static ApiResponse ScaleReplyResponse(ApiResult<ScaleReply> result) => result.Error is { } error
        ? ApiResponse.Error(error)
        : ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", result.Value!.Ok);
            if (result.Value.Message is { } message)
            {
                writer.WriteString("msg", message);
            }
            else
            {
                writer.WriteNull("msg");
            }

            writer.WriteEndObject();
        });

    /// <summary>A worker count: a JSON integer from 0 to <see cref="int.MaxValue"/> (not a boolean, string or float).</summary>
    internal static bool TryGetWorkerCount(object? value, out int count)
    {
        count = value switch
        {
            long l when l is >= 0 and <= int.MaxValue => (int)l,
            _ => -1,
        };
        return count >= 0;
    }

    /// <summary><c>?wait</c>: absent → no; empty → yes; an integer → yes unless 0; anything else → no (protocol.md §1.3).</summary>
    private static bool WantsWait(IQueryCollection query)
    {
        if (!query.TryGetValue("wait", out var values))
        {
            return false;
        }

        var text = values.ToString();
        return text.Length == 0
            || (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number) && !number.IsZero);
    }

    /// <summary>Reads <c>Authorization: token &lt;value&gt;</c>; anything else is no token.</summary>
    private static bool TryGetToken(HttpContext context, out string token)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        token = space > 0 && header.AsSpan(0, space).Equals("token", StringComparison.OrdinalIgnoreCase)
            ? header[(space + 1)..].Trim()
            : "";
        return token.Length > 0;
    }

    private static string PythonRepr(object? value) => Clusters.PythonFormat.Repr(value);

    private static string PythonStr(object? value) => Clusters.PythonFormat.Str(value);

    private void LogAccess(HttpContext context, TimeSpan elapsed)
    {
        var status = context.Response.StatusCode;
        // A 401 is the first half of every client's handshake, not a problem worth a warning.
        var level = status >= 500 ? LogLevel.Error
            : status >= 400 && status != StatusCodes.Status401Unauthorized ? LogLevel.Warning
            : context.Request.Path.Value == "/api/health" ? LogLevel.Debug
            : LogLevel.Information;
        if (_logger.IsEnabled(level))
        {
            var method = LogText.Escape(context.Request.Method);
            var target = LogText.Escape(context.Request.PathBase.Value + context.Request.Path.Value + context.Request.QueryString.Value);
            LogRequest(level, status, method, target, elapsed.TotalMilliseconds);
        }
    }

    [LoggerMessage(EventId = 1000, Message = "{StatusCode} {Method} {Target} {ElapsedMilliseconds:F3}ms")]
    private partial void LogRequest(LogLevel level, int statusCode, string method, string target, double elapsedMilliseconds);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string? path);
}
