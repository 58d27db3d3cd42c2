using System.Collections;
using System.Globalization;
using System.Text;

namespace DaskGateway.Configuration;

/// <summary>Renders values Python-like and types C#-like for configuration messages.</summary>
internal static class ValueText
{
    private const int MaxLength = 200;

    /// <summary><c>'abc'</c>, <c>None</c>, <c>True</c>, <c>12</c>, <c>1.5</c>, <c>['a', 'b']</c>, <c>{'a': 1}</c>.</summary>
    public static string Repr(object? value)
    {
        var text = ReprCore(value, depth: 0);
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength - 3), "...");
    }

    /// <summary>The C# spelling of a type: <c>int</c>, <c>Func&lt;User, Options&gt;</c>, <c>string[]</c>.</summary>
    public static string TypeName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return TypeName(underlying) + "?";
        }

        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!) + "[]";
        }

        var keyword = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.Byte => "byte",
            TypeCode.SByte => "sbyte",
            TypeCode.Int16 => "short",
            TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int",
            TypeCode.UInt32 => "uint",
            TypeCode.Int64 => "long",
            TypeCode.UInt64 => "ulong",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Decimal => "decimal",
            TypeCode.String => "string",
            TypeCode.Char => "char",
            _ => type == typeof(object) ? "object" : null,
        };
        if (keyword is not null)
        {
            return keyword;
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return $"{(tick < 0 ? name : name[..tick])}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }

    private static string ReprCore(object? value, int depth) => value switch
    {
        null => "None",
        bool flag => flag ? "True" : "False",
        string text => Quote(text),
        char character => Quote(character.ToString()),
        double number => Float(number),
        float number => Float(number),
        IFormattable number when IsNumber(value) => number.ToString(null, CultureInfo.InvariantCulture),
        Type type => $"typeof({ConfigurableTypes.FullName(type)})",
        Delegate function => $"<{TypeName(function.GetType())}>",
        IDictionary map when depth < 3 => Mapping(map, depth),
        IEnumerable items when depth < 3 => Sequence(items, depth),
        _ => Other(value),
    };

    private static bool IsNumber(object value) =>
        value is byte or sbyte or short or ushort or int or uint or long or ulong or decimal or Int128 or UInt128;

    private static string Quote(string text) =>
        "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "'";

    private static string Float(double number)
    {
        if (double.IsNaN(number))
        {
            return "nan";
        }

        if (double.IsInfinity(number))
        {
            return number > 0 ? "inf" : "-inf";
        }

        var text = number.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static string Mapping(IDictionary map, int depth)
    {
        var text = new StringBuilder("{");
        foreach (DictionaryEntry entry in map)
        {
            if (text.Length > 1)
            {
                text.Append(", ");
            }

            text.Append(ReprCore(entry.Key, depth + 1)).Append(": ").Append(ReprCore(entry.Value, depth + 1));
            if (text.Length > MaxLength)
            {
                break;
            }
        }

        return text.Append('}').ToString();
    }

    private static string Sequence(IEnumerable items, int depth)
    {
        var text = new StringBuilder("[");
        foreach (var item in items)
        {
            if (text.Length > 1)
            {
                text.Append(", ");
            }

            text.Append(ReprCore(item, depth + 1));
            if (text.Length > MaxLength)
            {
                break;
            }
        }

        return text.Append(']').ToString();
    }

    private static string Other(object value)
    {
        var text = value is IFormattable formattable
            ? formattable.ToString(null, CultureInfo.InvariantCulture)
            : value.ToString();
        var typeName = value.GetType().ToString();
        return string.IsNullOrEmpty(text) || text == typeName ? $"<{TypeName(value.GetType())} object>" : text;
    }
}
