namespace DaskGateway.Backends.Kubernetes;

/// <summary>How a watched object changed.</summary>
internal enum ResourceChangeKind
{
    Added,
    Modified,
    Deleted,
}
