namespace DaskGateway.Clusters;

/// <summary>A free-text option. Create it with <see cref="Option.String"/>.</summary>
public sealed class StringOption : OptionField
{
    private readonly string _default;

    internal StringOption(string field, string defaultValue, string? label, string? target)
        : base(field, label, target)
    {
        ArgumentNullException.ThrowIfNull(defaultValue);
        _default = defaultValue;
    }

    /// <inheritdoc/>
    public override object? Default => _default;

    private protected override string SpecType => "string";

    internal override object? Validate(object? value) => value is string s ? s : throw TypeError("a string", value);
}
