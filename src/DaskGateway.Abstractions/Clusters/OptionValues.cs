using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DaskGateway.Clusters;

/// <summary>
/// The validated options of one cluster request as an options handler sees them: keyed by each
/// field's target, select keys already replaced by their values. Read-only.
/// </summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Named after what handlers receive: the options.")]
public sealed class OptionValues : IReadOnlyDictionary<string, object?>
{
    private readonly Dictionary<string, object?> _values;

    internal OptionValues(Dictionary<string, object?> values)
    {
        _values = values;
    }

    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No option has this target.</exception>
    public object? this[string key] => _values.TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"No cluster option '{key}'; the options are: {string.Join(", ", _values.Keys)}");

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _values.Keys;

    /// <inheritdoc/>
    public IEnumerable<object?> Values => _values.Values;

    /// <inheritdoc/>
    public int Count => _values.Count;

    /// <summary>The value of an integer option.</summary>
    public long GetInteger(string key) => Convert.ToInt64(this[key], CultureInfo.InvariantCulture);

    /// <summary>The value of a float (or integer) option.</summary>
    public double GetFloat(string key) => Convert.ToDouble(this[key], CultureInfo.InvariantCulture);

    /// <summary>The value of a boolean option.</summary>
    public bool GetBool(string key) => (bool)this[key]!;

    /// <summary>The value of a string option, or of a select option whose values are strings.</summary>
    public string GetString(string key) => (string)this[key]!;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value) => _values.TryGetValue(key, out value);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
