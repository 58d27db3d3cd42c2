using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>The cluster settings of the local backends (those of <see cref="ClusterConfig"/>).</summary>
[ClassAlias("dask_gateway_server.backends.local.LocalClusterConfig")]
public class LocalClusterConfig : ClusterConfig
{
}
