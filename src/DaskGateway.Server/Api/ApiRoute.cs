using DaskGateway.Proxy.Routing;

namespace DaskGateway.Api;

/// <summary>The API's routes (protocol.md §1.3).</summary>
internal enum ApiRoute
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

/// <summary>
/// Matches request paths to <see cref="ApiRoute"/>s. Routes are matched here rather than by endpoint
/// routing because the protocol makes trailing slashes significant (<c>/api/v1/clusters/</c> lists,
/// <c>/api/v1/clusters</c> is a 404), which endpoint routing ignores.
/// </summary>
internal static class ApiRoutes
{
    public const string ClustersPrefix = "/api/v1/clusters/";
    public const string HealthPath = "/api/health";

    public static (ApiRoute Route, string Name) Match(string path)
    {
        switch (path)
        {
            case HealthPath:
                return (ApiRoute.Health, "");
            case "/api/version":
                return (ApiRoute.Version, "");
            case "/api/v1/options":
                return (ApiRoute.Options, "");
            case ClustersPrefix:
                return (ApiRoute.Clusters, "");
            case RouteApi.Path:
                return (ApiRoute.Routes, "");
        }

        if (!path.StartsWith(ClustersPrefix, StringComparison.Ordinal))
        {
            return (ApiRoute.None, "");
        }

        var rest = path.AsSpan(ClustersPrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash < 0)
        {
            return (ApiRoute.Cluster, rest.ToString());
        }

        var name = rest[..slash];
        if (name.IsEmpty)
        {
            return (ApiRoute.None, "");
        }

        var route = rest[(slash + 1)..] switch
        {
            "scale" => ApiRoute.Scale,
            "adapt" => ApiRoute.Adapt,
            "heartbeat" => ApiRoute.Heartbeat,
            "events" => ApiRoute.Events,
            _ => ApiRoute.None,
        };
        return (route, route == ApiRoute.None ? "" : name.ToString());
    }

    /// <summary>The methods a route answers, for <c>Allow</c> on a 405.</summary>
    public static string AllowedMethods(ApiRoute route) => route switch
    {
        ApiRoute.Clusters => "GET, POST",
        ApiRoute.Cluster => "GET, DELETE",
        ApiRoute.Scale or ApiRoute.Adapt or ApiRoute.Heartbeat => "POST",
        _ => "GET",
    };
}
