using k8s;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// How a <see cref="ResourceWatcher{T}"/> lists and watches one kind of object: a list call and a
/// watch call resuming from a resource version. <see cref="ResourceWatchSources"/> makes them for
/// the kinds the gateway and the controller watch; tests may script their own.
/// </summary>
internal sealed class ResourceWatchSource<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Func<CancellationToken, Task<ResourceListing<T>>> _list;
    private readonly Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> _watch;

    public ResourceWatchSource(
        string description,
        Func<CancellationToken, Task<ResourceListing<T>>> list,
        Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch)
    {
        Description = description;
        _list = list;
        _watch = watch;
    }

    /// <summary>What is watched, for logs (e.g. <c>pods in ns1 (app=x)</c>).</summary>
    public string Description { get; }

    public Task<ResourceListing<T>> ListAsync(CancellationToken cancellationToken) => _list(cancellationToken);

    /// <summary>
    /// The changes after <paramref name="resourceVersion"/> until the server ends the watch; fails
    /// with the API server's error (410 Gone when the version is too old).
    /// </summary>
    public IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, CancellationToken cancellationToken) =>
        _watch(resourceVersion, cancellationToken);
}
