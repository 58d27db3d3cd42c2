using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>
/// Starts no processes: a cluster runs once a scheduler started elsewhere heartbeats with the
/// cluster's token and addresses. The default until a process-starting backend is configured,
/// and the backend of the API's functional tests.
/// </summary>
[ClassAlias("unmanaged")]
public sealed class UnmanagedBackend : Backend
{
}
