using System.Collections;
using System.Text.Json;

namespace DaskGateway.Clusters;

/// <summary>
/// Writes option values as JSON the way clients read them: floats in Python's style (<c>1.0</c>, never
/// <c>1</c>; not finite ones as <c>null</c>), mappings as objects, other sequences as arrays. A backend
/// that hands a cluster's <see cref="OptionValues"/> to another process as JSON uses it.
/// </summary>
public static class OptionJson
{
    /// <summary>Writes <paramref name="value"/>: null, a bool, a string, a number, a <see cref="JsonElement"/>, a mapping or a sequence of these; anything else as its string.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case double d:
                WriteFloat(writer, d);
                break;
            case float f:
                WriteFloat(writer, f);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case int i:
                writer.WriteNumberValue(i);
                break;
            case System.Numerics.BigInteger big:
                writer.WriteRawValue(big.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case IConvertible c when c is byte or sbyte or short or ushort or uint or ulong:
                writer.WriteNumberValue(Convert.ToDecimal(c, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "");
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(value.ToString());
                break;
        }
    }

    internal static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteRawValue(PythonFormat.Float(value), skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
