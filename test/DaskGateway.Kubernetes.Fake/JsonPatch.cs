using System.Globalization;
using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// Applies an RFC 6902 JSON patch (<c>application/json-patch+json</c>): add, remove, replace, move, copy, test.
/// A failed operation refuses the whole patch, as the API server does (422 for a failed test or a missing path).
/// </summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        var result = document.DeepClone();
        foreach (var operation in operations)
        {
            if (operation is not JsonObject op || op["op"]?.GetValue<string>() is not { } name || op["path"]?.GetValue<string>() is not { } path)
            {
                throw ApiStatusException.BadRequest("the JSON patch operations must be objects with \"op\" and \"path\"");
            }
            result = name switch
            {
                "add" => Add(result, path, Required(op, "value")),
                "remove" => Remove(result, path, out _),
                "replace" => Add(Remove(result, path, out _), path, Required(op, "value")),
                "move" => MoveFrom(result, From(op), path),
                "copy" => Add(result, path, Get(result, From(op))?.DeepClone()),
                "test" => Test(result, path, Required(op, "value")),
                _ => throw ApiStatusException.BadRequest($"Unexpected kind: {name}"),
            };
        }
        return result;
    }

    private static JsonNode MoveFrom(JsonNode document, string from, string path)
    {
        var withoutSource = Remove(document, from, out var moved);
        return Add(withoutSource, path, moved);
    }

    private static JsonNode Test(JsonNode document, string path, JsonNode? expected) =>
        JsonNode.DeepEquals(Get(document, path), expected)
            ? document
            : throw Unprocessable($"testing value {path} failed");

    private static JsonNode? Required(JsonObject op, string member) =>
        op.TryGetPropertyValue(member, out var value)
            ? value?.DeepClone()
            : throw ApiStatusException.BadRequest($"the JSON patch operation \"{op["op"]}\" needs \"{member}\"");

    private static string From(JsonObject op) =>
        op["from"]?.GetValue<string>() ?? throw ApiStatusException.BadRequest("the JSON patch operation needs \"from\"");

    private static JsonNode Add(JsonNode document, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value ?? throw Unprocessable("cannot replace the whole document with null");
        }
        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj:
                obj[token] = value;
                break;
            case JsonArray array when token == "-":
                array.Add(value);
                break;
            case JsonArray array:
                var index = Index(token, array.Count + 1, path);
                array.Insert(index, value);
                break;
            default:
                throw Unprocessable($"doc is missing path: \"{path}\"");
        }
        return document;
    }

    private static JsonNode Remove(JsonNode document, string path, out JsonNode? removed)
    {
        var (parent, token) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(token, out removed):
                obj.Remove(token);
                return document;
            case JsonArray array:
                var index = Index(token, array.Count, path);
                removed = array[index];
                array.RemoveAt(index);
                return document;
            default:
                throw Unprocessable($"doc is missing path: \"{path}\"");
        }
    }

    private static JsonNode? Get(JsonNode document, string path)
    {
        if (path.Length == 0)
        {
            return document;
        }
        var (parent, token) = Parent(document, path);
        return parent switch
        {
            JsonObject obj when obj.TryGetPropertyValue(token, out var value) => value,
            JsonArray array => array[Index(token, array.Count, path)],
            _ => throw Unprocessable($"doc is missing path: \"{path}\""),
        };
    }

    /// <summary>Walks an RFC 6901 pointer to the container of its last token.</summary>
    private static (JsonNode? Parent, string Token) Parent(JsonNode document, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw Unprocessable($"invalid JSON pointer: \"{path}\"");
        }
        var tokens = path[1..].Split('/').Select(token => token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode? node = document;
        foreach (var token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject obj => obj[token],
                JsonArray array => array[Index(token, array.Count, path)],
                _ => null,
            };
        }
        return (node, tokens[^1]);
    }

    private static int Index(string token, int limit, string path) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < limit
            ? index
            : throw Unprocessable($"invalid array index in path: \"{path}\"");

    private static ApiStatusException Unprocessable(string message) => new(422, "Invalid", message);
}
