using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>
/// Runs every cluster's processes as the gateway's own user: no isolation between users, so only
/// for a single user, tests and trying things out. The gateway's embedded default.
/// </summary>
[ClassAlias("unsafe-local")]
[ClassAlias("dask_gateway_server.backends.local.UnsafeLocalBackend")]
public class UnsafeLocalBackend : LocalBackend
{
    /// <inheritdoc/>
    protected override bool RunsAsClusterUser => false;
}
