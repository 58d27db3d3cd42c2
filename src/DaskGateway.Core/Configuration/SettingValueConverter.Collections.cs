using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;

namespace DaskGateway.Configuration;

/// <summary>Conversions to collection settings: lists of strings (commands) and string-keyed maps, from objects, flags or JSON text.</summary>
internal sealed partial class SettingValueConverter
{
    private static readonly Type[] ListTypes =
    [
        typeof(List<>), typeof(IList<>), typeof(ICollection<>),
        typeof(IReadOnlyList<>), typeof(IReadOnlyCollection<>), typeof(IEnumerable<>),
    ];

    private static readonly Type[] MapTypes = [typeof(Dictionary<,>), typeof(IDictionary<,>), typeof(IReadOnlyDictionary<,>)];

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
