using System.Collections;

namespace DaskGateway.Clusters;

/// <summary>A free-form mapping of strings to values (for example environment variables). Create it with <see cref="Option.Mapping"/>.</summary>
public sealed class MappingOption : OptionField
{
    private readonly IReadOnlyDictionary<string, object?> _default;

    internal MappingOption(string field, IReadOnlyDictionary<string, object?>? defaultValue, string? label, string? target)
        : base(field, label, target)
    {
        _default = Copy(defaultValue ?? new Dictionary<string, object?>());
    }

    /// <inheritdoc/>
    public override object? Default => _default;

    // Each cluster gets its own copy, so a handler that mutates the mapping cannot change the default.
    internal override object? DefaultValue => Copy(_default);

    private protected override string SpecType => "mapping";

    internal override object? Validate(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> mapping => mapping,
        IDictionary mapping => Copy(mapping),
        _ => throw TypeError("a mapping", value),
    };

    private static Dictionary<string, object?> Copy(IReadOnlyDictionary<string, object?> source)
    {
        var copy = new Dictionary<string, object?>(source.Count, StringComparer.Ordinal);
        foreach (var (key, value) in source)
        {
            copy[key] = DeepCopy(value);
        }

        return copy;
    }

    private static Dictionary<string, object?> Copy(IDictionary source)
    {
        var copy = new Dictionary<string, object?>(source.Count, StringComparer.Ordinal);
        foreach (DictionaryEntry entry in source)
        {
            copy[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = DeepCopy(entry.Value);
        }

        return copy;
    }

    private static object? DeepCopy(object? value) => value switch
    {
        IReadOnlyDictionary<string, object?> mapping => Copy(mapping),
        IDictionary mapping => Copy(mapping),
        string => value,
        IEnumerable sequence => sequence.Cast<object?>().Select(DeepCopy).ToList(),
        _ => value,
    };
}
