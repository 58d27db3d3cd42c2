namespace DaskGateway.Clusters;

/// <summary>
/// Factory methods for cluster option fields, named after upstream's field classes:
/// <c>Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores")</c>.
/// </summary>
public static class Option
{
    /// <summary>An integer option; <paramref name="min"/> and <paramref name="max"/> are inclusive.</summary>
    public static IntegerOption Integer(string field, long @default = 0, long? min = null, long? max = null, string? label = null, string? target = null) =>
        new(field, @default, min, max, label, target);

    /// <summary>A floating-point option; integers sent by users are accepted as floats.</summary>
    public static FloatOption Float(string field, double @default = 0, double? min = null, double? max = null, string? label = null, string? target = null) =>
        new(field, @default, min, max, label, target);

    /// <summary>A boolean option.</summary>
    public static BoolOption Bool(string field, bool @default = false, string? label = null, string? target = null) =>
        new(field, @default, label, target);

    /// <summary>A free-text option.</summary>
    public static StringOption String(string field, string @default = "", string? label = null, string? target = null) =>
        new(field, @default, label, target);

    /// <summary>A choice among <paramref name="options"/>, each key standing for itself. The default is the first key.</summary>
    public static SelectOption Select(string field, IEnumerable<string> options, string? @default = null, string? label = null, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(field, options.Select(key => new KeyValuePair<string, object?>(key, key)), @default, label, target);
    }

    /// <summary>A choice among keys that each stand for a value, which the handler receives. The default is the first key.</summary>
    public static SelectOption Select(string field, IEnumerable<(string Key, object? Value)> options, string? @default = null, string? label = null, string? target = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(field, options.Select(pair => new KeyValuePair<string, object?>(pair.Key, pair.Value)), @default, label, target);
    }

    /// <summary>A choice among keys that each stand for a value, which the handler receives. The default is the first key.</summary>
    public static SelectOption Select(string field, IEnumerable<KeyValuePair<string, object?>> options, string? @default = null, string? label = null, string? target = null) =>
        new(field, options, @default, label, target);

    /// <summary>A mapping option (a JSON object); the default is an empty mapping.</summary>
    public static MappingOption Mapping(string field, IReadOnlyDictionary<string, object?>? @default = null, string? label = null, string? target = null) =>
        new(field, @default, label, target);
}
