namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>Appends to a cluster's timeline in its status, bounded: the first event and the latest ones are kept.</summary>
internal static class ClusterStatusEvents
{
    public static void Append(DaskClusterStatus status, DateTimeOffset time, string kind, string message)
    {
        var events = status.Events is null ? [] : new List<DaskClusterEvent>(status.Events);
        events.Add(new DaskClusterEvent { Time = time.ToUnixTimeMilliseconds(), Kind = kind, Message = message });
        if (events.Count > DaskClusterNames.MaxStatusEvents)
        {
            events.RemoveRange(1, events.Count - DaskClusterNames.MaxStatusEvents);
        }

        status.Events = events;
    }
}
