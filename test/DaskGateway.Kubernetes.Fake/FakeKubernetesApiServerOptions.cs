namespace DaskGateway.Kubernetes.Fake;

/// <summary>Tuning of the fake API server; the defaults suit most tests.</summary>
public sealed class FakeKubernetesApiServerOptions
{
    /// <summary>How many watch events are kept for resuming watches; older resource versions get 410.</summary>
    public int WatchHistorySize { get; init; } = 1000;

    /// <summary>How often watches that asked for bookmarks (<c>allowWatchBookmarks</c>) get one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How a watch from a resource version older than the history is refused. By default, as a real API server
    /// does, the watch starts (HTTP 200) and its first event is an <c>ERROR</c> carrying a 410 <c>Expired</c> status;
    /// when true the request itself fails with HTTP 410, which clients must handle too.
    /// </summary>
    public bool RefuseStaleWatchesWithHttpGone { get; init; }
}
