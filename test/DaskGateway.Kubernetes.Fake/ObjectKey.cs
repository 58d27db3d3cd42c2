namespace DaskGateway.Kubernetes.Fake;

/// <summary>Where an object lives: its resource, namespace (empty when cluster-scoped) and name.</summary>
internal readonly record struct ObjectKey(FakeApiResource Resource, string Namespace, string Name) : IComparable<ObjectKey>
{
    /// <summary>Orders as etcd's keys do, so lists come back sorted by namespace then name like a real server's.</summary>
    public int CompareTo(ObjectKey other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }
}
