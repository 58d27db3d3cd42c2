using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace DaskGateway.Json;

/// <summary>
/// Turns parsed JSON into plain CLR values, keeping Python's distinction between integers and
/// floats: <c>2</c> is a <see cref="long"/>, <c>2.0</c> a <see cref="double"/>.
/// </summary>
internal static class JsonValues
{
    /// <summary>
    /// The most digits an integer literal may have: Python's own limit for converting text to an
    /// int (<c>sys.int_info.default_max_str_digits</c>), so no value that upstream can read is
    /// refused. Longer literals are refused before they are converted, because parsing and
    /// printing a <see cref="BigInteger"/> take time quadratic in its length; a float literal
    /// is parsed in linear time whatever its length and needs no limit.
    /// </summary>
    public const int MaxIntegerDigits = 4300;

    public static object? ToClr(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToDictionary(element),
        JsonValueKind.Array => ToList(element),
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
            try
            {
                // As in Python's json module, the last of duplicate keys wins.
                result[property.Name] = ToClr(property.Value);
            }
            catch (JsonNumberTooLongException e)
            {
                throw e.Inside(property.Name);
            }
        }

        return result;
    }

    private static List<object?> ToList(JsonElement element)
    {
        var result = new List<object?>(element.GetArrayLength());
        foreach (var item in element.EnumerateArray())
        {
            try
            {
                result.Add(ToClr(item));
            }
            catch (JsonNumberTooLongException e)
            {
                throw e.Inside(result.Count);
            }
        }

        return result;
    }

    private static object ToNumber(JsonElement element)
    {
        if (element.TryGetInt64(out var l))
        {
            return l;
        }

        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        var digits = raw.Length - (raw[0] == '-' ? 1 : 0);
        if (digits > MaxIntegerDigits)
        {
            throw new JsonNumberTooLongException(digits);
        }

        return BigInteger.Parse(Encoding.ASCII.GetString(raw), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}
