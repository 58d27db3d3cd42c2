namespace DaskGateway.Proxy.Routing;

/// <summary>A change of the route table; ids start at 1 and grow by one per change.</summary>
internal sealed record RouteEvent(long Id, RouteEventType Type, ProxyRoute Route);

/// <summary>Whether a route was added (or changed) or removed.</summary>
internal enum RouteEventType
{
    /// <summary>The route was added or its target changed.</summary>
    Put,

    /// <summary>The route was removed.</summary>
    Delete,
}
