using System.Globalization;
using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>The pod status stanzas a kubelet writes, built from the pod's spec.</summary>
internal static class PodStatuses
{
    public static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static void MarkUnschedulable(JsonObject pod)
    {
        var status = Status(pod);
        status["phase"] = "Pending";
        status["conditions"] = new JsonArray(Condition("PodScheduled", false, "Unschedulable", "0/1 nodes are available: 1 Insufficient cpu (simulated)."));
    }

    public static void MarkRunning(JsonObject pod, string nodeName, string podIp, bool ready)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        pod["spec"] = spec;
        spec["nodeName"] = nodeName;
        var now = Now();
        var status = Status(pod);
        status["phase"] = "Running";
        status["hostIP"] = "10.0.0.1";
        status["podIP"] = podIp;
        status["podIPs"] = new JsonArray(new JsonObject { ["ip"] = podIp });
        status["startTime"] = now;
        var uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? "";
        status["containerStatuses"] = new JsonArray(Containers(pod).Select(container => (JsonNode)new JsonObject
        {
            ["name"] = container["name"]?.DeepClone(),
            ["image"] = container["image"]?.DeepClone(),
            ["imageID"] = $"fake-registry/{container["image"]}",
            ["containerID"] = $"fake://{uid}/{container["name"]}",
            ["ready"] = ready,
            ["started"] = true,
            ["restartCount"] = 0,
            ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } },
        }).ToArray());
        SetConditions(status, ready, "PodScheduled", "Initialized");
    }

    public static void MarkReady(JsonObject pod, bool ready)
    {
        var status = Status(pod);
        foreach (var container in (status["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>())
        {
            container["ready"] = ready;
        }
        SetConditions(status, ready, "PodScheduled", "Initialized");
    }

    public static void MarkTerminated(JsonObject pod, int exitCode, string? reason, string? message)
    {
        var now = Now();
        var status = Status(pod);
        status["phase"] = exitCode == 0 ? "Succeeded" : "Failed";
        var uid = pod["metadata"]?["uid"]?.GetValue<string>() ?? "";
        var running = (status["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(c => c["name"]?.GetValue<string>() ?? "", c => c);
        status["containerStatuses"] = new JsonArray(Containers(pod).Select(container =>
        {
            var name = container["name"]?.GetValue<string>() ?? "";
            var terminated = new JsonObject
            {
                ["exitCode"] = exitCode,
                ["reason"] = reason ?? (exitCode == 0 ? "Completed" : "Error"),
                ["startedAt"] = running.GetValueOrDefault(name)?["state"]?["running"]?["startedAt"]?.DeepClone() ?? now,
                ["finishedAt"] = now,
                ["containerID"] = $"fake://{uid}/{name}",
            };
            if (message is not null)
            {
                terminated["message"] = message;
            }
            return (JsonNode)new JsonObject
            {
                ["name"] = name,
                ["image"] = container["image"]?.DeepClone(),
                ["imageID"] = $"fake-registry/{container["image"]}",
                ["containerID"] = $"fake://{uid}/{name}",
                ["ready"] = false,
                ["started"] = false,
                ["restartCount"] = 0,
                ["state"] = new JsonObject { ["terminated"] = terminated },
            };
        }).ToArray());
        SetConditions(status, false, "PodScheduled", "Initialized");
    }

    public static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");

    private static void SetConditions(JsonObject status, bool ready, params string[] alwaysTrue)
    {
        var conditions = alwaysTrue.Select(type => Condition(type, true, null, null)).ToList();
        var reason = ready ? null : status["phase"]?.GetValue<string>() is "Succeeded" or "Failed" ? "PodCompleted" : "ContainersNotReady";
        conditions.Add(Condition("ContainersReady", ready, reason, null));
        conditions.Add(Condition("Ready", ready, reason, null));
        status["conditions"] = new JsonArray(conditions.Select(c => (JsonNode)c).ToArray());
    }

    private static JsonObject Condition(string type, bool value, string? reason, string? message)
    {
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = value ? "True" : "False",
            ["lastProbeTime"] = null,
            ["lastTransitionTime"] = Now(),
        };
        if (reason is not null)
        {
            condition["reason"] = reason;
        }
        if (message is not null)
        {
            condition["message"] = message;
        }
        return condition;
    }

    private static JsonObject Status(JsonObject pod)
    {
        var status = pod["status"] as JsonObject ?? [];
        pod["status"] = status;
        return status;
    }

    private static IEnumerable<JsonObject> Containers(JsonObject pod) =>
        (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>();
}
