using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace DaskGateway.Json;

/// <summary>
/// Turns parsed JSON into plain CLR values, keeping Python's distinction between integers and
/// floats: <c>2</c> is a <see cref="long"/>, <c>2.0</c> a <see cref="double"/>.
/// </summary>
internal static class JsonValues
{
    public static object? ToClr(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToDictionary(element),
        JsonValueKind.Array => element.EnumerateArray().Select(ToClr).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => ToNumber(element),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>A JSON object held as a node (a resource's field), as plain CLR values.</summary>
    public static Dictionary<string, object?> ToDictionary(System.Text.Json.Nodes.JsonObject node) =>
        ToDictionary(JsonSerializer.SerializeToElement(node));

    public static Dictionary<string, object?> ToDictionary(JsonElement element)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            // As in Python's json module, the last of duplicate keys wins.
            result[property.Name] = ToClr(property.Value);
        }

        return result;
    }

    private static object ToNumber(JsonElement element)
    {
        var raw = element.GetRawText();
        var isInteger = raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0;
        if (isInteger)
        {
            // Boxed separately: a conditional expression would widen the long to BigInteger.
            return element.TryGetInt64(out var l) ? (object)l : BigInteger.Parse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
