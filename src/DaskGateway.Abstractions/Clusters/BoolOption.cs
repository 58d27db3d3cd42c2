namespace DaskGateway.Clusters;

/// <summary>A boolean option. Create it with <see cref="Option.Bool"/>.</summary>
public sealed class BoolOption : OptionField
{
    private readonly bool _default;

    internal BoolOption(string field, bool defaultValue, string? label, string? target)
        : base(field, label, target)
    {
        _default = defaultValue;
    }

    /// <inheritdoc/>
    public override object? Default => _default;

    private protected override string SpecType => "bool";

    internal override object? Validate(object? value) => value is bool b ? b : throw TypeError("a bool", value);
}
