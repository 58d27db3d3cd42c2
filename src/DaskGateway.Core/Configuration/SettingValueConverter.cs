using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace DaskGateway.Configuration;

/// <summary>Why a value could not be converted: <c>expected a string, got 12</c>.</summary>
internal sealed record ConversionFailure(string Expected, string Got, string? Detail)
{
    private string Suffix => Detail is null ? "" : $": {Detail}";

    /// <summary><c>expected an integer, got 'abc'</c>, for a config error that names its setting.</summary>
    public string Message => $"expected {Expected}, got {Got}{Suffix}";

    /// <summary><c>worker_cores expects an integer, got 'abc'</c>, for an end user.</summary>
    public string MessageFor(string key) => $"{key} expects {Expected}, got {Got}{Suffix}";
}

/// <summary>
/// Converts a recorded value (a CLR object from the config script, or a string from a flag) to the
/// type of the setting it is bound to.
/// </summary>
internal sealed class SettingValueConverter(ConfigurableTypes types)
{
    private static readonly Dictionary<Type, (Int128 Min, Int128 Max, Func<Int128, object> Cast)> Integers = new()
    {
        [typeof(sbyte)] = (sbyte.MinValue, sbyte.MaxValue, value => (sbyte)value),
        [typeof(byte)] = (byte.MinValue, byte.MaxValue, value => (byte)value),
        [typeof(short)] = (short.MinValue, short.MaxValue, value => (short)value),
        [typeof(ushort)] = (ushort.MinValue, ushort.MaxValue, value => (ushort)value),
        [typeof(int)] = (int.MinValue, int.MaxValue, value => (int)value),
        [typeof(uint)] = (uint.MinValue, uint.MaxValue, value => (uint)value),
        [typeof(long)] = (long.MinValue, long.MaxValue, value => (long)value),
        [typeof(ulong)] = (ulong.MinValue, ulong.MaxValue, value => (ulong)value),
    };

    private static readonly Type[] ListTypes =
    [
        typeof(List<>), typeof(IList<>), typeof(ICollection<>),
        typeof(IReadOnlyList<>), typeof(IReadOnlyCollection<>), typeof(IEnumerable<>),
    ];

    private static readonly Type[] MapTypes = [typeof(Dictionary<,>), typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>)];

    public bool TryConvert(
        object? value, SettingInfo setting, bool fromCommandLine, out object? result, [NotNullWhen(false)] out ConversionFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (TryConvert(value, setting.Type, setting.AllowsNull, setting.ClassBase, fromCommandLine, out result, out var detail))
        {
            failure = null;
            return true;
        }

        failure = new ConversionFailure(Expected(setting), ValueText.Repr(value), detail);
        return false;
    }

    /// <summary>What a setting accepts, with an article: <c>an integer</c>, <c>a memory size</c>.</summary>
    public static string Expected(SettingInfo setting) => Expected(setting.Type, setting.IsCommand, setting.ClassBase);

    /// <summary>What a setting accepts, without an article, for <c>--help</c>: <c>integer</c>.</summary>
    public static string Noun(SettingInfo setting)
    {
        var expected = Expected(setting);
        return expected.StartsWith("a ", StringComparison.Ordinal) ? expected[2..]
            : expected.StartsWith("an ", StringComparison.Ordinal) ? expected[3..]
            : expected;
    }

    private static string Expected(Type type, bool isCommand, Type? classBase)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Expected(underlying, isCommand, classBase) + " or None";
        }

        if (type == typeof(string))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "a boolean";
        }

        if (Integers.ContainsKey(type))
        {
            return "an integer";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (type == typeof(MemorySize))
        {
            return "a memory size";
        }

        if (IsStringList(type))
        {
            return isCommand ? "a command (a string or a list of strings)" : "a list of strings";
        }

        if (IsStringMap(type, out var valueType))
        {
            return valueType == typeof(string) ? "a mapping of strings to strings" : "a mapping of strings to values";
        }

        if (type == typeof(Type))
        {
            return classBase is null || classBase == typeof(object) ? "a class" : $"a class deriving from {classBase.Name}";
        }

        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(type).Select(name => $"'{name}'"))}";
        }

        return ValueText.TypeName(type);
    }

    private bool TryConvert(
        object? value, Type type, bool allowsNull, Type? classBase, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return value is null
                || (value is string text && (text.Trim() is "None" or "none" or "null"))
                || TryConvert(value, underlying, false, classBase, fromCommandLine, out result, out detail);
        }

        if (value is null)
        {
            return allowsNull && !type.IsValueType;
        }

        // The known kinds decide alone; a user-defined implicit conversion is for strings and other
        // types (so MemorySize's conversion from long cannot let a negative size through).
        return
            type == typeof(string) ? TryAssign(value, type, out result) || TryImplicit(value, type, out result, out detail)
            : type == typeof(bool) ? TryBoolean(value, out result)
            : Integers.ContainsKey(type) ? TryInteger(value, type, out result, out detail)
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? TryNumber(value, type, out result, out detail)
            : type == typeof(MemorySize) ? TryMemorySize(value, fromCommandLine, out result, out detail)
            : type.IsEnum ? TryEnum(value, type, out result)
            : type == typeof(Type) ? TryClass(value, classBase ?? typeof(object), out result, out detail)
            : IsStringList(type) ? TryStringList(value, type, fromCommandLine, out result, out detail)
            : IsStringMap(type, out var valueType) ? TryStringMap(value, type, valueType, fromCommandLine, out result, out detail)
            : TryAssign(value, type, out result) || TryImplicit(value, type, out result, out detail);
    }

    private static bool TryAssign(object value, Type type, out object? result)
    {
        result = type.IsInstanceOfType(value) ? value : null;
        return result is not null;
    }

    private static bool TryBoolean(object value, out object? result)
    {
        result = value switch
        {
            bool flag => flag,
            string text => text.Trim().ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" => true,
                "FALSE" or "0" or "NO" => false,
                _ => null,
            },
            _ => null,
        };
        return result is not null;
    }

    private static bool TryInteger(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        Int128 number;
        if (AsIntegral(value) is { } integral)
        {
            number = integral;
        }
        else if (AsFloating(value) is { } floating)
        {
            // 1e38 keeps the cast to Int128 safe; every integer type is far narrower.
            if (!double.IsFinite(floating) || Math.Truncate(floating) != floating || Math.Abs(floating) >= 1e38)
            {
                return false;
            }

            number = (Int128)floating;
        }
        else if (value is decimal exact)
        {
            if (decimal.Truncate(exact) != exact)
            {
                return false;
            }

            number = (Int128)exact;
        }
        else if (value is not string text
            || !Int128.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        var (min, max, cast) = Integers[type];
        if (number < min || number > max)
        {
            detail = string.Create(CultureInfo.InvariantCulture, $"out of range ({min} to {max})");
            return false;
        }

        result = cast(number);
        return true;
    }

    private static bool TryNumber(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (type == typeof(decimal))
        {
            decimal exact;
            try
            {
                if (value is string text)
                {
                    if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out exact))
                    {
                        return false;
                    }
                }
                else
                {
                    exact = AsIntegral(value) is { } integral ? (decimal)integral
                        : AsFloating(value) is { } floating && double.IsFinite(floating) ? (decimal)floating
                        : value is decimal given ? given
                        : throw new FormatException();
                }
            }
            catch (Exception exception) when (exception is OverflowException or FormatException)
            {
                return false;
            }

            result = exact;
            return true;
        }

        double number;
        if (AsIntegral(value) is { } whole)
        {
            number = (double)whole;
        }
        else if (AsFloating(value) is { } floatingValue)
        {
            number = floatingValue;
        }
        else if (value is decimal decimalValue)
        {
            number = (double)decimalValue;
        }
        else if (value is not string text || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        if (type == typeof(float))
        {
            if (double.IsFinite(number) && Math.Abs(number) > float.MaxValue)
            {
                detail = "out of range for a single-precision number";
                return false;
            }

            result = (float)number;
            return true;
        }

        result = number;
        return true;
    }

    private static bool TryMemorySize(object value, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        switch (value)
        {
            case MemorySize:
                result = value;
                return true;
            case string text when fromCommandLine && text.Trim() is { Length: > 0 } digits && digits.All(char.IsAsciiDigit):
                if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
                {
                    detail = "out of range for a memory size";
                    return false;
                }

                result = new MemorySize(bytes);
                return true;
            case string text:
                if (!MemorySize.TryParse(text, out var size, out var error))
                {
                    detail = error;
                    return false;
                }

                result = size;
                return true;
            default:
                if (!TryInteger(value, typeof(long), out var number, out detail))
                {
                    return false;
                }

                if ((long)number! < 0)
                {
                    detail = "a memory size cannot be negative";
                    return false;
                }

                result = new MemorySize((long)number);
                return true;
        }
    }

    private static bool TryEnum(object value, Type type, out object? result)
    {
        result = value.GetType() == type ? value
            : value is string text && Enum.GetNames(type).FirstOrDefault(name => string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } match
                ? Enum.Parse(type, match)
            : null;
        return result is not null;
    }

    private bool TryClass(object value, Type classBase, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (value is Type type)
        {
            detail = ConfigurableTypes.CheckClass(type, classBase, ConfigurableTypes.FullName(type));
            result = detail.Length == 0 ? type : null;
            detail = detail.Length == 0 ? null : detail;
            return result is not null;
        }

        if (value is string name)
        {
            if (types.TryResolveClass(name, classBase, out var resolved, out var error))
            {
                result = resolved;
                return true;
            }

            detail = error;
        }

        return false;
    }

    private static bool TryStringList(object value, Type type, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (value is string text)
        {
            if (!fromCommandLine || !text.TrimStart().StartsWith('['))
            {
                return MakeList([text], type, out result);
            }

            return TryParseJson(text, out var parsed, out detail)
                && TryStringList(parsed!, type, fromCommandLine: false, out result, out detail);
        }

        if (value is not IEnumerable items || value is IDictionary)
        {
            return false;
        }

        var strings = new List<string>();
        foreach (var item in items)
        {
            if (item is not string element)
            {
                detail = string.Create(CultureInfo.InvariantCulture, $"item {strings.Count} is {ValueText.Repr(item)}, not a string");
                return false;
            }

            strings.Add(element);
        }

        return MakeList([.. strings], type, out result);
    }

    private static bool MakeList(string[] items, Type type, out object? result)
    {
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        result = type == typeof(string[]) ? items
            : definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(ICollection<>) ? new List<string>(items)
            : Array.AsReadOnly(items);
        return true;
    }

    private static bool TryStringMap(
        object value, Type type, Type valueType, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (value is string text)
        {
            return fromCommandLine
                && text.TrimStart().StartsWith('{')
                && TryParseJson(text, out var parsed, out detail)
                && TryStringMap(parsed!, type, valueType, fromCommandLine: false, out result, out detail);
        }

        if (Entries(value) is not { } entries)
        {
            return false;
        }

        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        var objects = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, item) in entries)
        {
            if (key is not string name)
            {
                detail = $"the key {ValueText.Repr(key)} is not a string";
                return false;
            }

            if (valueType == typeof(string))
            {
                if (item is not string itemText)
                {
                    detail = $"the value of {ValueText.Repr(name)} is {ValueText.Repr(item)}, not a string";
                    return false;
                }

                strings[name] = itemText;
            }
            else
            {
                objects[name] = item;
            }
        }

        result = valueType == typeof(string) ? strings : objects;
        return true;
    }

    private static List<(object? Key, object? Value)>? Entries(object value)
    {
        var entries = new List<(object? Key, object? Value)>();
        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary)
            {
                entries.Add((entry.Key, entry.Value));
            }

            return entries;
        }

        if (value is not IEnumerable items)
        {
            return null;
        }

        foreach (var item in items)
        {
            var itemType = item?.GetType();
            if (itemType is not { IsGenericType: true } || itemType.GetGenericTypeDefinition() != typeof(KeyValuePair<,>))
            {
                return null;
            }

            entries.Add((itemType.GetProperty("Key")!.GetValue(item), itemType.GetProperty("Value")!.GetValue(item)));
        }

        return entries;
    }

    /// <summary>Parses a flag's JSON (the caller has seen it start with <c>[</c> or <c>{</c>).</summary>
    private static bool TryParseJson(string text, out object? parsed, out string? detail)
    {
        parsed = null;
        detail = null;
        try
        {
            using var document = JsonDocument.Parse(text);
            parsed = FromJson(document.RootElement);
            return true;
        }
        catch (JsonException exception)
        {
            detail = $"not valid JSON: {exception.Message}";
            return false;
        }
    }

    private static object? FromJson(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return element.TryGetInt64(out var integer) ? integer : (object)element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Array:
                return element.EnumerateArray().Select(FromJson).ToList();
            case JsonValueKind.Object:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    map[property.Name] = FromJson(property.Value);
                }

                return map;
            default:
                return null;
        }
    }

    /// <summary>A user-defined implicit conversion declared on the target type or the value's type.</summary>
    private static bool TryImplicit(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        var valueType = value.GetType();
        var conversion = ConfigurableTypes.Hierarchy(type).Concat(ConfigurableTypes.Hierarchy(valueType))
            .SelectMany(declaring => declaring.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.Name == "op_Implicit"
                && type.IsAssignableFrom(method.ReturnType)
                && method.GetParameters() is [var parameter]
                && parameter.ParameterType.IsInstanceOfType(value))
            .OrderBy(method => Distance(valueType, method.GetParameters()[0].ParameterType))
            .FirstOrDefault();
        if (conversion is null)
        {
            return false;
        }

        try
        {
            result = conversion.Invoke(null, [value]);
            return true;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
        {
            detail = inner.Message;
            return false;
        }
    }

    private static int Distance(Type from, Type to)
    {
        var steps = 0;
        for (var level = from; level is not null; level = level.BaseType, steps++)
        {
            if (level == to)
            {
                return steps;
            }
        }

        return int.MaxValue;
    }

    private static Int128? AsIntegral(object value) => value switch
    {
        sbyte number => number,
        byte number => number,
        short number => number,
        ushort number => number,
        int number => number,
        uint number => number,
        long number => number,
        ulong number => number,
        Int128 number => number,
        _ => null,
    };

    private static double? AsFloating(object value) => value switch
    {
        double number => number,
        float number => number,
        Half number => (double)number,
        _ => null,
    };

    private static bool IsStringList(Type type) =>
        type == typeof(string[])
        || (type.IsGenericType && ListTypes.Contains(type.GetGenericTypeDefinition()) && type.GetGenericArguments()[0] == typeof(string));

    private static bool IsStringMap(Type type, [NotNullWhen(true)] out Type? valueType)
    {
        valueType = null;
        if (type.IsGenericType && MapTypes.Contains(type.GetGenericTypeDefinition())
            && type.GetGenericArguments() is [var key, var item] && key == typeof(string)
            && (item == typeof(string) || item == typeof(object)))
        {
            valueType = item;
        }

        return valueType is not null;
    }
}
