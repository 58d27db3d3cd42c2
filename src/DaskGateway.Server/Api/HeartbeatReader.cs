using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>Reads and checks the heartbeat body of protocol.md §3.5.</summary>
internal static class HeartbeatReader
{
    public static bool TryRead(Dictionary<string, object?> body, out Heartbeat heartbeat, out string problem)
    {
        heartbeat = null!;
        problem = "";
        if (!TryGetString(body, "scheduler_address", out var scheduler, ref problem)
            || !TryGetString(body, "dashboard_address", out var dashboard, ref problem)
            || !TryGetString(body, "api_address", out var api, ref problem)
            || !TryGetNames(body, "active_workers", out var active, ref problem)
            || !TryGetNames(body, "closing_workers", out var closing, ref problem)
            || !TryGetNames(body, "closed_workers", out var closed, ref problem))
        {
            return false;
        }

        body.TryGetValue("count", out var countValue);
        if (!ApiRequests.TryGetWorkerCount(countValue, out var count))
        {
            problem = $"Heartbeat 'count' must be a non-negative integer, got {PythonFormat.Str(countValue)}";
            return false;
        }

        int? clientCount = null;
        if (body.TryGetValue("client_count", out var clientsValue) && clientsValue is not null)
        {
            if (!ApiRequests.TryGetWorkerCount(clientsValue, out var clients))
            {
                problem = $"Heartbeat 'client_count' must be a non-negative integer, got {PythonFormat.Str(clientsValue)}";
                return false;
            }

            clientCount = clients;
        }

        heartbeat = new Heartbeat(scheduler, dashboard, api, count, active, closing, closed) { ClientCount = clientCount };
        return true;
    }

    private static bool TryGetString(Dictionary<string, object?> body, string key, out string value, ref string problem)
    {
        body.TryGetValue(key, out var raw);
        value = raw as string ?? "";
        if (raw is null or string)
        {
            return true;
        }

        problem = $"Heartbeat '{key}' must be a string, got {PythonFormat.Repr(raw)}";
        return false;
    }

    private static bool TryGetNames(Dictionary<string, object?> body, string key, out IReadOnlyList<string> names, ref string problem)
    {
        names = [];
        if (!body.TryGetValue(key, out var raw) || raw is null)
        {
            return true;
        }

        if (raw is List<object?> list && list.All(item => item is string))
        {
            names = list.Cast<string>().ToList();
            return true;
        }

        problem = $"Heartbeat '{key}' must be a list of worker names, got {PythonFormat.Repr(raw)}";
        return false;
    }
}
