using System.Collections.Concurrent;

namespace DaskGateway.Clusters;

/// <summary>Every cluster the gateway knows, indexed by name and by owner.</summary>
internal sealed class ClusterRegistry
{
    private readonly ConcurrentDictionary<string, Cluster> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UserClusters> _byUser = new(StringComparer.Ordinal);

    public int Count => _byName.Count;

    public void Add(Cluster cluster)
    {
        if (!_byName.TryAdd(cluster.Name, cluster))
        {
            throw new InvalidOperationException($"Cluster {cluster.Name} already exists");
        }

        _byUser.GetOrAdd(cluster.Username, _ => new UserClusters()).Add(cluster);
    }

    public void Remove(Cluster cluster)
    {
        if (_byName.TryRemove(new KeyValuePair<string, Cluster>(cluster.Name, cluster)) && _byUser.TryGetValue(cluster.Username, out var clusters))
        {
            clusters.Remove(cluster);
        }
    }

    public bool TryGet(string name, out Cluster cluster) => _byName.TryGetValue(name, out cluster!);

    /// <summary>The user's clusters in creation order.</summary>
    public IReadOnlyList<Cluster> ListForUser(string username) =>
        _byUser.TryGetValue(username, out var clusters) ? clusters.Snapshot : [];

    public IEnumerable<Cluster> All => _byName.Values;

    /// <summary>A user's clusters as an immutable array swapped on write: lists are read far more often than clusters are made.</summary>
    private sealed class UserClusters
    {
        private readonly Lock _lock = new();

        public Cluster[] Snapshot { get; private set; } = [];

        public void Add(Cluster cluster)
        {
            lock (_lock)
            {
                Snapshot = [.. Snapshot, cluster];
            }
        }

        public void Remove(Cluster cluster)
        {
            lock (_lock)
            {
                Snapshot = [.. Snapshot.Where(c => c != cluster)];
            }
        }
    }
}
