using System.Collections.Concurrent;

namespace DaskGateway.Clusters;

/// <summary>The clusters and workers the backend has started that have not yet reported: those the liveness checks ask the backend about.</summary>
internal sealed class StartingJobs
{
    private readonly ConcurrentDictionary<string, Cluster> _clusters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ReconcileKey, Worker> _workers = new();

    public void Add(Cluster cluster) => _clusters[cluster.Name] = cluster;

    public void Remove(Cluster cluster) => _clusters.TryRemove(cluster.Name, out _);

    public void Add(Worker worker) => _workers[ReconcileKey.For(worker)] = worker;

    public void Remove(Worker worker) => _workers.TryRemove(ReconcileKey.For(worker), out _);

    /// <summary>Submitted clusters not asked to stop.</summary>
    public List<Cluster> Clusters() => [.. _clusters.Values.Where(c => c.Status == JobStatus.Submitted && c.IsActive)];

    /// <summary>Submitted workers still wanted, of running clusters.</summary>
    public List<Worker> Workers() =>
        [.. _workers.Values.Where(w => w.Status == JobStatus.Submitted && w.Target == JobStatus.Running && w.Cluster.Status == JobStatus.Running)];
}
