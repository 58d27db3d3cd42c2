using System.Text.Json.Nodes;
using DaskGateway.Backends;
using DaskGateway.Security;

namespace DaskGateway.Clusters;

/// <summary>
/// How the reconciler hands clusters and workers to the backend: as copies that carry the URL
/// schedulers report to, and with starts that run within a time limit.
/// </summary>
internal sealed class BackendCalls
{
    private readonly ClusterCredentialFactory _credentials;
    private readonly TimeProvider _time;

    public BackendCalls(DBBackendBase backend, ClusterCredentialFactory credentials, TimeProvider time)
    {
        Backend = backend;
        _credentials = credentials;
        _time = time;
    }

    public DBBackendBase Backend { get; }

    /// <summary>Where schedulers report (the gateway's private API), known once the gateway listens.</summary>
    public string ApiUrl { get; set; } = "";

    public ClusterInfo ToInfo(Cluster cluster) => cluster.ToInfo(ApiUrl);

    public WorkerInfo ToInfo(Worker worker) => worker.ToInfo(ApiUrl);

    /// <summary>
    /// Runs a backend's start of a scheduler or worker within <paramref name="limit"/>, handing on
    /// each state it yields; running out of time is a <see cref="TimeoutException"/> with <paramref name="timeoutMessage"/>.
    /// </summary>
    public async Task RunStartAsync(
        Func<CancellationToken, IAsyncEnumerable<JsonObject>> start,
        TimeSpan limit,
        Func<JsonObject, Task> onState,
        string timeoutMessage,
        CancellationToken cancellationToken)
    {
        _credentials.NoteActivity();
        using var timeout = new CancellationTokenSource(limit > TimeSpan.Zero ? limit : TimeSpan.Zero, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await foreach (var state in start(linked.Token).WithCancellation(linked.Token))
            {
                await onState(state);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(timeoutMessage);
        }
    }
}
