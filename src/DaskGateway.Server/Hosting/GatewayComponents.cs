using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Storage;

namespace DaskGateway.Hosting;

/// <summary>The configured objects a gateway is built from.</summary>
internal sealed record GatewayComponents(
    GatewaySettings Gateway,
    ProxySettings Proxy,
    Authenticator Authenticator,
    Backend Backend,
    IClusterConfigFactory ClusterConfigFactory,
    ConfigurableTypes Types,
    IClusterStore? Store,
    string StoreDescription);
