namespace DaskGateway.Proxy;

/// <summary>How the proxy's parts behave; made from the <c>Proxy</c> settings section by the host.</summary>
internal sealed record ProxyOptions
{
    /// <summary>The public path prefix, such as <c>/services/dask-gateway</c>, without a trailing slash; empty for none.</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The token of the route API (<c>Authorization: token ...</c>).</summary>
    public string ApiToken { get; init; } = "";

    /// <summary>
    /// The name of the gateway's authentication cookie, never forwarded to a dashboard; empty when
    /// the gateway picks a random name (any name of that form is then withheld).
    /// </summary>
    public string AuthCookieName { get; init; } = "";

    /// <summary>How many route changes are kept for followers.</summary>
    public int MaxEvents { get; init; } = 100;

    /// <summary>How long a new connection has to send its first TLS record (or any byte of HTTP).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long dialing a scheduler may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The path of the API route (<c>&lt;prefix&gt;/</c>), which the gateway serves itself.</summary>
    public string ApiRoutePath => Prefix + "/";

    /// <summary>The path of a cluster's dashboard route (<c>&lt;prefix&gt;/clusters/&lt;name&gt;</c>).</summary>
    public string DashboardRoutePath(string clusterName) => $"{Prefix}/clusters/{clusterName}";
}
