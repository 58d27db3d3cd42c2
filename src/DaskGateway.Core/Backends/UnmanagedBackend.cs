using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>
/// Starts no processes: a cluster runs once a scheduler started elsewhere heartbeats with the
/// cluster's token and addresses, and workers are expected to join it by themselves. For tests
/// and for trying the API; it is not what users want.
/// </summary>
[ClassAlias("unmanaged")]
public sealed class UnmanagedBackend : DBBackendBase
{
    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> StartClusterAsync(ClusterInfo cluster, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    /// <inheritdoc/>
    public override Task StopClusterAsync(ClusterInfo cluster, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> StartWorkerAsync(WorkerInfo worker, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield break;
    }

    /// <inheritdoc/>
    public override Task StopWorkerAsync(WorkerInfo worker, CancellationToken cancellationToken) => Task.CompletedTask;
}
