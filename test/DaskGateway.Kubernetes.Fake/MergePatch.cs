using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// Applies an RFC 7386 merge patch: objects merge recursively, <c>null</c> removes a member, anything else
/// (lists included) replaces. The fake also uses it for strategic merge patches, so their per-field list merge
/// keys (e.g. containers merged by name) and <c>$patch</c> directives are not honoured: lists are replaced.
/// </summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Apply(result[name], value);
            }
        }
        return result;
    }
}
