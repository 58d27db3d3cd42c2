namespace DaskGateway.Proxy.Sni;

/// <summary>Opens the connection to a scheduler that an SNI route leads to.</summary>
internal interface ISchedulerDialer
{
    /// <summary>Connects to <paramref name="target"/> (<c>tls://host:port</c> or <c>host:port</c>); null when it cannot be reached.</summary>
    ValueTask<ProxyEndpoint?> DialAsync(string target, CancellationToken cancellationToken);
}
