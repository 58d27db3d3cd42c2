using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// A parsed <c>fieldSelector</c> query: comma-separated <c>path=value</c>, <c>path==value</c> or <c>path!=value</c>
/// where the path is dotted (<c>metadata.name</c>, <c>status.phase</c>). A real server allows only a few fields per
/// resource; the fake accepts any path, which is a superset.
/// </summary>
internal sealed class FieldSelector
{
    private readonly IReadOnlyList<(string[] Path, string Value, bool Equal)> _requirements;

    private FieldSelector(IReadOnlyList<(string[] Path, string Value, bool Equal)> requirements) => _requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public static FieldSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }
        var requirements = new List<(string[], string, bool)>();
        foreach (var part in selector.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var notEqual = part.IndexOf("!=", StringComparison.Ordinal);
            var equal = part.IndexOf('=', StringComparison.Ordinal);
            if (notEqual > 0)
            {
                requirements.Add((part[..notEqual].Split('.'), part[(notEqual + 2)..], false));
            }
            else if (equal > 0)
            {
                requirements.Add((part[..equal].Split('.'), part[(equal + 1)..].TrimStart('='), true));
            }
            else
            {
                throw ApiStatusException.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            }
        }
        return new FieldSelector(requirements);
    }

    public bool Matches(JsonObject obj) =>
        _requirements.All(requirement => (FieldValue(obj, requirement.Path) == requirement.Value) == requirement.Equal);

    private static string FieldValue(JsonObject obj, string[] path)
    {
        JsonNode? node = obj;
        foreach (var segment in path)
        {
            node = node is JsonObject parent ? parent[segment] : null;
        }
        return node switch
        {
            null => "",
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => node.ToJsonString(),
        };
    }
}
