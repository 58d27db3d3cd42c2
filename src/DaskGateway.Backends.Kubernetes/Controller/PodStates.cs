using System.Globalization;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>What the controller reads from a cluster's pods and endpoints: labels, whether a pod finished and why, readiness.</summary>
internal static class PodStates
{
    public static string? Label(V1Pod pod, string label) =>
        pod.Metadata.Labels is { } labels && labels.TryGetValue(label, out var value) ? value : null;

    public static bool IsFinished(V1Pod pod) => pod.Status?.Phase is "Succeeded" or "Failed";

    public static V1ContainerState? ContainerState(V1Pod pod, string container) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(status => status.Name == container)?.State;

    /// <summary>Why the scheduler stopped, or null while it has not.</summary>
    public static string? SchedulerTermination(V1Pod pod)
    {
        var terminated = ContainerState(pod, DaskClusterNames.SchedulerComponent)?.Terminated;
        if (terminated is null && !IsFinished(pod))
        {
            return null;
        }

        var parts = new List<string> { $"The scheduler exited with code {terminated?.ExitCode.ToString(CultureInfo.InvariantCulture) ?? "unknown"}" };
        if (!string.IsNullOrEmpty(terminated?.Reason ?? pod.Status?.Reason))
        {
            parts.Add($"reason: {terminated?.Reason ?? pod.Status?.Reason}");
        }

        if (!string.IsNullOrEmpty(terminated?.Message ?? pod.Status?.Message))
        {
            parts.Add($"message: {terminated?.Message ?? pod.Status?.Message}");
        }

        return string.Join("; ", parts);
    }

    public static bool IsReady(V1Endpoints? endpoints) =>
        endpoints?.Subsets is { Count: > 0 } subsets
        && subsets.Any(subset => subset.Addresses is { Count: > 0 })
        && subsets.All(subset => subset.NotReadyAddresses is null or { Count: 0 });
}
