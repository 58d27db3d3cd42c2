namespace DaskGateway.Clusters;

/// <summary>What the reconciler works on: a cluster, or one of its workers.</summary>
internal readonly record struct ReconcileKey(string Cluster, string? Worker)
{
    public static ReconcileKey For(Cluster cluster) => new(cluster.Name, null);

    public static ReconcileKey For(Worker worker) => new(worker.Cluster.Name, worker.Name);

    public override string ToString() => Worker is null ? $"cluster {Cluster}" : $"worker {Worker} of cluster {Cluster}";
}
