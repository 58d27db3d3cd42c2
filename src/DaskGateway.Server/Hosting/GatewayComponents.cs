using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;

namespace DaskGateway.Hosting;

/// <summary>The configured objects a gateway is built from.</summary>
internal sealed record GatewayComponents(
    GatewaySettings Gateway,
    ProxySettings Proxy,
    Authenticator Authenticator,
    Backend Backend,
    IClusterConfigFactory ClusterConfigFactory);
