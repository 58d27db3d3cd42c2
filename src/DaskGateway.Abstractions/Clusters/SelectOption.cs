using System.Text.Json;

namespace DaskGateway.Clusters;

/// <summary>
/// A choice between named values. Users send a key; the handler sees the value mapped to it.
/// Create it with <see cref="Option.Select(string, IEnumerable{string}, string?, string?, string?)"/>.
/// </summary>
public sealed class SelectOption : OptionField
{
    private readonly Dictionary<string, object?> _values;
    private readonly string _default;

    internal SelectOption(string field, IEnumerable<KeyValuePair<string, object?>> options, string? defaultKey, string? label, string? target)
        : base(field, label, target)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<string>();
        _values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in options)
        {
            if (key is null)
            {
                throw new ArgumentException($"Option '{field}': select keys must be strings", nameof(options));
            }

            if (!_values.TryAdd(key, value))
            {
                throw new ArgumentException($"Option '{field}': duplicate select key '{key}'", nameof(options));
            }

            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            throw new ArgumentException($"Option '{field}': there must be at least one option", nameof(options));
        }

        Keys = keys;
        _default = ValidDefault(this, Validate, defaultKey ?? keys[0]);
    }

    /// <summary>The keys users choose from, in declaration order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <inheritdoc/>
    public override object? Default => _default;

    private protected override string SpecType => "select";

    internal override object? Validate(object? value)
    {
        if (value is not string key)
        {
            throw TypeError("a string", value);
        }

        return _values.ContainsKey(key)
            ? key
            : throw new InvalidOptionsException($"{PythonFormat.Repr(key)} is not a valid option for {Field}");
    }

    internal override object? Transform(object? value) => _values[(string)Validate(value)!];

    private protected override void WriteSpecDetails(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("options");
        foreach (var key in Keys)
        {
            writer.WriteStringValue(key);
        }

        writer.WriteEndArray();
    }
}
