using k8s;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// One change seen by a <see cref="ResourceWatcher{T}"/>: <see cref="Object"/> is the object now
/// (for a deletion: its last known state) and <see cref="Previous"/> the cached one before.
/// </summary>
internal sealed record ResourceChange<T>(ResourceChangeKind Kind, T Object, T? Previous)
    where T : class, IKubernetesObject<V1ObjectMeta>;
