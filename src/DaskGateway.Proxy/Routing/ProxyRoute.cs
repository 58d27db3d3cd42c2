namespace DaskGateway.Proxy.Routing;

/// <summary>
/// One entry of the route table (protocol.md §2.5): an SNI name or a path prefix, and where it leads.
/// A route named in a DELETE event has no target.
/// </summary>
internal sealed record ProxyRoute(RouteKind Kind, string Key, string? Target)
{
    /// <summary>A scheduler's route: connections with SNI <c>daskgateway-&lt;clusterName&gt;</c> go to <paramref name="target"/>.</summary>
    public static ProxyRoute Sni(string clusterName, string? target = null) => new(RouteKind.Sni, clusterName, target);

    /// <summary>An HTTP route: requests under <paramref name="path"/> go to <paramref name="target"/>.</summary>
    public static ProxyRoute Path(string path, string? target = null) => new(RouteKind.Path, path, target);

    /// <summary>The same route without its target, as DELETE events carry it.</summary>
    public ProxyRoute WithoutTarget() => Target is null ? this : this with { Target = null };
}
