using DaskGateway.Hosting;
using DaskGateway.Proxy.Routing;

namespace DaskGateway.Api;

/// <summary>
/// Dispatches the HTTP API of protocol.md §1.3 to its endpoint groups: the user's
/// (<see cref="ClusterEndpoints"/>, behind authentication), the scheduler's
/// (<see cref="SchedulerEndpoints"/>, by cluster token), health and version, and the route table
/// for standalone proxies.
/// </summary>
internal sealed class GatewayApi
{
    private static readonly string Version = typeof(GatewayApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly ClusterEndpoints _clusters;
    private readonly SchedulerEndpoints _schedulers;
    private readonly UserAuthentication _authentication;
    private readonly RouteApi _routes;

    public GatewayApi(ClusterEndpoints clusters, SchedulerEndpoints schedulers, UserAuthentication authentication, RouteApi routes)
    {
        _clusters = clusters;
        _schedulers = schedulers;
        _authentication = authentication;
        _routes = routes;
    }

    public Task HandleAsync(HttpContext context)
    {
        var (route, name) = ApiRoutes.Match(context.Request.Path.Value ?? "");
        return (route, context.Request.Method) switch
        {
            (ApiRoute.Health, "GET") => Health().WriteAsync(context),
            (ApiRoute.Version, "GET") => VersionInfo().WriteAsync(context),
            (ApiRoute.Options, "GET") => _authentication.HandleAsync(context, _clusters.GetOptionsAsync),
            (ApiRoute.Clusters, "GET") => _authentication.HandleAsync(context, user => _clusters.ListAsync(context, user)),
            (ApiRoute.Clusters, "POST") => _authentication.HandleAsync(context, user => _clusters.CreateAsync(context, user)),
            (ApiRoute.Cluster, "GET") => _authentication.HandleAsync(context, user => _clusters.GetAsync(context, user, name)),
            (ApiRoute.Cluster, "DELETE") => StopAsync(context, name),
            (ApiRoute.Scale, "POST") => _authentication.HandleAsync(context, user => _clusters.ScaleAsync(context, user, name)),
            (ApiRoute.Adapt, "POST") => _authentication.HandleAsync(context, user => _clusters.AdaptAsync(context, user, name)),
            (ApiRoute.Heartbeat, "POST") => _schedulers.HeartbeatAsync(context, name),
            (ApiRoute.Events, "GET") => _authentication.HandleAsync(context, user => _clusters.GetEventsAsync(context, user, name)),

            // For standalone proxies, on the private listener only: the table names every scheduler.
            (ApiRoute.Routes, _) when !GatewayHost.IsPublic(context) => _routes.HandleAsync(context),
            (ApiRoute.Routes or ApiRoute.None, _) => ApiResponse.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Not Found"),
            _ => MethodNotAllowedAsync(context, route),
        };
    }

    /// <summary>The scheduler stops its own cluster with its token (idle timeout); users must own the cluster.</summary>
    private async Task StopAsync(HttpContext context, string name)
    {
        if (!await _schedulers.TryStopAsync(context, name))
        {
            await _authentication.HandleAsync(context, user => _clusters.StopAsync(context, user, name));
        }
    }

    private static Task MethodNotAllowedAsync(HttpContext context, ApiRoute route)
    {
        var allowed = ApiRoutes.AllowedMethods(route);
        context.Response.Headers.Allow = allowed;
        return ApiResponse.WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, $"Method {context.Request.Method} is not allowed here; allowed: {allowed}");
    }

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
}
