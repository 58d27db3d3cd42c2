using System.Numerics;
using System.Text.Json;

namespace DaskGateway.Clusters;

/// <summary>An integer option with optional inclusive bounds. Create it with <see cref="Option.Integer"/>.</summary>
public sealed class IntegerOption : OptionField
{
    private readonly long _default;

    internal IntegerOption(string field, long defaultValue, long? min, long? max, string? label, string? target)
        : base(field, label, target)
    {
        if (min > max)
        {
            throw new ArgumentException($"Option '{field}': min ({min}) is greater than max ({max})", nameof(min));
        }

        Min = min;
        Max = max;
        _default = ValidDefault(this, Validate, defaultValue);
    }

    /// <summary>The smallest valid value, or <see langword="null"/> when unbounded.</summary>
    public long? Min { get; }

    /// <summary>The largest valid value, or <see langword="null"/> when unbounded.</summary>
    public long? Max { get; }

    /// <inheritdoc/>
    public override object? Default => _default;

    private protected override string SpecType => "int";

    internal override object? Validate(object? value)
    {
        // Booleans are integers in Python; they are not here (a client never sends them for an integer field).
        BigInteger number = value switch
        {
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            sbyte sb => sb,
            ushort us => us,
            uint ui => ui,
            ulong ul => ul,
            BigInteger big => big,
            _ => throw TypeError("an integer", value),
        };
        if (Min is { } min && number < min)
        {
            throw new InvalidOptionsException($"{Field} must be >= {PythonFormat.FixedSix(min)}, got {PythonFormat.Str(number)}");
        }

        if (Max is { } max && number > max)
        {
            throw new InvalidOptionsException($"{Field} must be <= {PythonFormat.FixedSix(max)}, got {PythonFormat.Str(number)}");
        }

        if (number < long.MinValue || number > long.MaxValue)
        {
            throw new InvalidOptionsException($"{Field} must be between {long.MinValue} and {long.MaxValue}, got {PythonFormat.Str(number)}");
        }

        return (long)number;
    }

    private protected override void WriteSpecDetails(Utf8JsonWriter writer)
    {
        WriteBound(writer, "min", Min);
        WriteBound(writer, "max", Max);
    }

    private static void WriteBound(Utf8JsonWriter writer, string name, long? bound)
    {
        if (bound is { } value)
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
