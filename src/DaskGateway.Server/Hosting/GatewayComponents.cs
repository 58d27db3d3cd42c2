using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Hosting;

/// <summary>The configured objects a gateway is built from.</summary>
/// <remarks>
/// <see cref="BackendModule"/> hosts <see cref="Backend"/>; it was configured with <see cref="BackendContext"/>.
/// <see cref="PublicBoundToLoopback"/>: the public address was narrowed to 127.0.0.1 because anyone
/// could log in (simple authentication without a password) and nobody chose an address.
/// <see cref="PrivatePortFile"/>: where the private API's port is kept for the next start, when it is not configured.
/// </remarks>
internal sealed record GatewayComponents(
    GatewaySettings Gateway,
    ProxySettings Proxy,
    Authenticator Authenticator,
    Backend Backend,
    IGatewayBackendModule BackendModule,
    BackendModuleContext BackendContext,
    IClusterConfigFactory ClusterConfigFactory,
    ConfigurableTypes Types,
    bool PublicBoundToLoopback = false,
    string? PrivatePortFile = null);
