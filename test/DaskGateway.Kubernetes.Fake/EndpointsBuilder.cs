using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// What the endpoints controller would write for a Service with a selector: the matching pods that have an IP,
/// ready ones under <c>addresses</c> and the others under <c>notReadyAddresses</c>, with the service's labels.
/// Simplification: one subset whose ports are the service's target ports (a named target port is resolved
/// against the first matching pod), where a real controller groups pods by their resolved ports.
/// </summary>
internal static class EndpointsBuilder
{
    public static JsonObject? Selector(JsonObject service) =>
        service["spec"]?["selector"] is JsonObject { Count: > 0 } selector ? selector : null;

    public static JsonObject Build(JsonObject service, IReadOnlyList<JsonObject> pods)
    {
        var metadata = service["metadata"]!;
        var selector = Selector(service)!;
        var members = pods
            .Where(pod => Selects(selector, pod) && IsServing(pod))
            .OrderBy(pod => pod["status"]!["podIP"]!.GetValue<string>(), StringComparer.Ordinal)
            .ToList();
        var labels = metadata["labels"]?.DeepClone() as JsonObject ?? [];
        if (service["spec"]?["clusterIP"]?.GetValue<string>() == "None")
        {
            labels["service.kubernetes.io/headless"] = "";
        }
        var endpoints = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = new JsonObject
            {
                ["name"] = metadata["name"]!.DeepClone(),
                ["namespace"] = metadata["namespace"]!.DeepClone(),
                ["labels"] = labels,
            },
        };
        if (members.Count > 0)
        {
            var subset = new JsonObject();
            var ready = members.Where(PodStatuses.IsReady).Select(Address).ToArray();
            var notReady = members.Where(pod => !PodStatuses.IsReady(pod)).Select(Address).ToArray();
            if (ready.Length > 0)
            {
                subset["addresses"] = new JsonArray(ready);
            }
            if (notReady.Length > 0)
            {
                subset["notReadyAddresses"] = new JsonArray(notReady);
            }
            subset["ports"] = Ports(service, members[0]);
            endpoints["subsets"] = new JsonArray(subset);
        }
        return endpoints;
    }

    private static bool Selects(JsonObject selector, JsonObject pod)
    {
        var labels = pod["metadata"]?["labels"] as JsonObject;
        return selector.All(pair => labels?[pair.Key]?.GetValue<string>() == pair.Value?.GetValue<string>());
    }

    private static bool IsServing(JsonObject pod) =>
        pod["status"]?["podIP"] is not null
        && pod["metadata"]?["deletionTimestamp"] is null
        && pod["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed");

    private static JsonNode Address(JsonObject pod)
    {
        var metadata = pod["metadata"]!;
        return new JsonObject
        {
            ["ip"] = pod["status"]!["podIP"]!.DeepClone(),
            ["nodeName"] = pod["spec"]?["nodeName"]?.DeepClone(),
            // No resourceVersion here, as the real controller leaves it out to spare an update per pod change.
            ["targetRef"] = new JsonObject
            {
                ["kind"] = "Pod",
                ["namespace"] = metadata["namespace"]!.DeepClone(),
                ["name"] = metadata["name"]!.DeepClone(),
                ["uid"] = metadata["uid"]!.DeepClone(),
            },
        };
    }

    private static JsonArray Ports(JsonObject service, JsonObject pod)
    {
        var ports = new JsonArray();
        foreach (var port in (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var target = port["targetPort"] ?? port["port"];
            var number = target?.GetValueKind() == JsonValueKind.Number ? target.GetValue<int>() : ContainerPort(pod, target?.GetValue<string>());
            if (number is null)
            {
                continue;
            }
            var endpointPort = new JsonObject { ["port"] = number, ["protocol"] = port["protocol"]?.DeepClone() ?? "TCP" };
            if (port["name"] is { } name)
            {
                endpointPort["name"] = name.DeepClone();
            }
            ports.Add(endpointPort);
        }
        return ports;
    }

    private static int? ContainerPort(JsonObject pod, string? name) =>
        (pod["spec"]?["containers"] as JsonArray ?? [])
            .SelectMany(container => container?["ports"] as JsonArray ?? [])
            .FirstOrDefault(port => port?["name"]?.GetValue<string>() == name)?["containerPort"]?.GetValue<int>();
}
