using DaskGateway.Clusters;
using DaskGateway.Json;

namespace DaskGateway.Backends.Kubernetes.Gateway;

/// <summary>Reads what users see of a cluster (protocol.md §1.4, §4.10) from its DaskCluster resource.</summary>
internal static class KubeClusterView
{
    public static string NameOf(DaskClusterResource resource) =>
        DaskClusterNames.ClusterName(resource.Metadata.NamespaceProperty ?? "", resource.Metadata.Name ?? "");

    /// <summary>False once a stop was requested or the controller finished the cluster.</summary>
    public static bool IsActive(DaskClusterResource resource) =>
        resource.Spec.Active != false && resource.Status?.Phase is not (DaskClusterNames.PhaseStopped or DaskClusterNames.PhaseFailed);

    /// <summary>
    /// Pending (or no phase yet) is PENDING, Running RUNNING, Stopped STOPPED, Failed FAILED; a
    /// cluster asked to stop that the controller has not finished yet is STOPPING (upstream keeps
    /// showing its old phase there).
    /// </summary>
    public static ClusterStatus StatusOf(DaskClusterResource resource) => resource.Status?.Phase switch
    {
        DaskClusterNames.PhaseStopped => ClusterStatus.Stopped,
        DaskClusterNames.PhaseFailed => ClusterStatus.Failed,
        _ when resource.Spec.Active == false => ClusterStatus.Stopping,
        DaskClusterNames.PhaseRunning => ClusterStatus.Running,
        _ => ClusterStatus.Pending,
    };

    public static ClusterState Snapshot(DaskClusterResource resource, ClusterCredentials? credentials, bool isReady, ClusterConfig config, string apiAddress)
    {
        var name = NameOf(resource);
        var status = StatusOf(resource);
        var running = status == ClusterStatus.Running;
        return new ClusterState(
            name,
            resource.Spec.Username,
            status,
            JsonValues.ToDictionary(resource.Spec.Options),
            Milliseconds(resource.Metadata.CreationTimestamp) ?? 0,
            status is ClusterStatus.Stopped or ClusterStatus.Failed ? Milliseconds(resource.Status?.CompletionTime) : null,
            running ? credentials : null,
            running ? $"/clusters/{name}/status" : null,
            IsActive(resource),
            isReady,
            config,
            apiAddress);
    }

    public static IReadOnlyList<ClusterEvent> EventsOf(DaskClusterResource resource)
    {
        var events = new List<ClusterEvent>();
        if (Milliseconds(resource.Metadata.CreationTimestamp) is { } created)
        {
            events.Add(new ClusterEvent(created, "created", $"cluster created by {resource.Spec.Username}"));
        }

        foreach (var entry in resource.Status?.Events ?? [])
        {
            events.Add(new ClusterEvent(entry.Time, entry.Kind, entry.Message));
        }

        return events;
    }

    private static long? Milliseconds(DateTime? time) =>
        time is { } value
            ? new DateTimeOffset(value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc)).ToUnixTimeMilliseconds()
            : null;
}
