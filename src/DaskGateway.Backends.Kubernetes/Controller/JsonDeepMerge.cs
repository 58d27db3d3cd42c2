using System.Text.Json.Nodes;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// Upstream's rule for <c>*_extra_pod_config</c> and <c>*_extra_container_config</c>
/// (protocol.md §8.5): objects merge key by key (recursively, the extra side wins), lists are
/// concatenated (base first), anything else is replaced. Neither input is changed.
/// </summary>
internal static class JsonDeepMerge
{
    public static JsonNode? Merge(JsonNode? baseNode, JsonNode? extra)
    {
        switch (baseNode, extra)
        {
            case (JsonObject baseObject, JsonObject extraObject):
                var merged = new JsonObject();
                foreach (var (key, value) in baseObject)
                {
                    merged[key] = extraObject.TryGetPropertyValue(key, out var extraValue) ? Merge(value, extraValue) : value?.DeepClone();
                }

                foreach (var (key, value) in extraObject.Where(entry => !baseObject.ContainsKey(entry.Key)))
                {
                    merged[key] = value?.DeepClone();
                }

                return merged;
            case (JsonArray baseArray, JsonArray extraArray):
                return new JsonArray([.. baseArray.Concat(extraArray).Select(item => item?.DeepClone())]);
            default:
                return extra?.DeepClone();
        }
    }
}
