namespace DaskGateway.Proxy.Routing;

/// <summary>How a route matches: by the TLS server name of a connection, or by the path of an HTTP request.</summary>
internal enum RouteKind
{
    /// <summary>Connections whose SNI is <c>daskgateway-&lt;key&gt;</c> go to a scheduler (<c>tls://host:port</c>).</summary>
    Sni,

    /// <summary>Requests under the path <c>key</c> go to an HTTP server (<c>http://host:port</c>), the path prefix removed.</summary>
    Path,
}
