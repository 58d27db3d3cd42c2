using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// List and watch calls for the kinds the gateway and the controller follow: in one namespace, or
/// in all when the namespace is null, optionally filtered by a label selector.
/// </summary>
internal static class ResourceWatchSources
{
    /// <summary>Seconds after which the API server ends a watch (it is then resumed); below the usual 30-minute server limit.</summary>
    public const int WatchTimeoutSeconds = 300;

    public static ResourceWatchSource<V1Pod> Pods(IKubernetes client, string? @namespace, string? labelSelector) =>
        FromListCall<V1Pod, V1PodList>(Describe("pods", @namespace, labelSelector), (resourceVersion, watch, cancellationToken) =>
            @namespace is null
                ? client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
                    allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken)
                : client.CoreV1.ListNamespacedPodWithHttpMessagesAsync(
                    @namespace, allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken));

    public static ResourceWatchSource<V1Endpoints> Endpoints(IKubernetes client, string? @namespace, string? labelSelector) =>
        FromListCall<V1Endpoints, V1EndpointsList>(Describe("endpoints", @namespace, labelSelector), (resourceVersion, watch, cancellationToken) =>
            @namespace is null
                ? client.CoreV1.ListEndpointsForAllNamespacesWithHttpMessagesAsync(
                    allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken)
                : client.CoreV1.ListNamespacedEndpointsWithHttpMessagesAsync(
                    @namespace, allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken));

    public static ResourceWatchSource<V1Secret> Secrets(IKubernetes client, string? @namespace, string? labelSelector) =>
        FromListCall<V1Secret, V1SecretList>(Describe("secrets", @namespace, labelSelector), (resourceVersion, watch, cancellationToken) =>
            @namespace is null
                ? client.CoreV1.ListSecretForAllNamespacesWithHttpMessagesAsync(
                    allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken)
                : client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync(
                    @namespace, allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken));

    /// <summary>Objects of a custom resource (<paramref name="group"/>/<paramref name="version"/>, collection <paramref name="plural"/>).</summary>
    public static ResourceWatchSource<T> CustomObjects<T>(IKubernetes client, string group, string version, string plural, string? @namespace, string? labelSelector)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        FromListCall<T, CustomObjectList<T>>(Describe(plural, @namespace, labelSelector), (resourceVersion, watch, cancellationToken) =>
            @namespace is null
                ? client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<CustomObjectList<T>>(
                    group, version, plural, allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken)
                : client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<CustomObjectList<T>>(
                    group, version, @namespace, plural, allowWatchBookmarks: watch ? true : null, labelSelector: labelSelector, resourceVersion: resourceVersion,
                    timeoutSeconds: watch ? WatchTimeoutSeconds : null, watch: watch ? true : null, cancellationToken: cancellationToken));

    /// <summary>DaskCluster resources (protocol.md §8.5).</summary>
    public static ResourceWatchSource<DaskClusterResource> DaskClusters(IKubernetes client, string? @namespace, string? labelSelector) =>
        CustomObjects<DaskClusterResource>(client, DaskClusterResource.Group, DaskClusterResource.Version, DaskClusterResource.Plural, @namespace, labelSelector);

    /// <summary>
    /// A source from one list call of the API (<c>watch</c> false: a list; true: a watch from the
    /// given resource version).
    /// </summary>
    public static ResourceWatchSource<T> FromListCall<T, TList>(
        string description,
        Func<string?, bool, CancellationToken, Task<HttpOperationResponse<TList>>> call)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T>
    {
        return new ResourceWatchSource<T>(
            description,
            async cancellationToken =>
            {
                using var response = await call(null, false, cancellationToken).ConfigureAwait(false);
                var body = response.Body;
                return new ResourceListing<T>([.. body.Items ?? []], body.Metadata?.ResourceVersion ?? "");
            },
            (resourceVersion, cancellationToken) => WatchAsync<T, TList>(token => call(resourceVersion, true, token), cancellationToken));
    }

    // KubernetesClient reports a watch's error events (e.g. 410 Gone) and undecodable lines to a
    // callback and keeps reading; here the first one ends the watch and is thrown to the caller.
    private static async IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync<T, TList>(
        Func<CancellationToken, Task<HttpOperationResponse<TList>>> start,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var failing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        // The replacement KubernetesClient suggests yields untyped objects for custom resources;
        // this one decodes events into T for every kind alike.
#pragma warning disable CS0618
        var events = start(failing.Token).WatchAsync<T, TList>(
            exception =>
            {
                failure ??= exception;
                failing.Cancel();
            },
            failing.Token);
#pragma warning restore CS0618
        var enumerator = events.GetAsyncEnumerator(failing.Token);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (failure is not null && !cancellationToken.IsCancellationRequested)
                {
                    more = false;
                }

                if (failure is not null)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                if (!more)
                {
                    yield break;
                }

                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string Describe(string kind, string? @namespace, string? labelSelector) =>
        $"{kind} in {(@namespace is null ? "all namespaces" : @namespace)}{(string.IsNullOrEmpty(labelSelector) ? "" : $" ({labelSelector})")}";
}
