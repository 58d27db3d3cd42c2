namespace DaskGateway.Clusters;

/// <summary>Where cluster records live. The in-memory store keeps them for the life of the process.</summary>
internal interface IClusterStore
{
    void Add(Cluster cluster);

    bool TryGet(string name, out Cluster cluster);

    /// <summary>The user's clusters in creation order.</summary>
    IReadOnlyList<Cluster> ListForUser(string username);

    IReadOnlyList<Cluster> ListAll();
}
