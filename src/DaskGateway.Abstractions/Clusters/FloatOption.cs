using System.Numerics;
using System.Text.Json;

namespace DaskGateway.Clusters;

/// <summary>A floating-point option with optional inclusive bounds. Create it with <see cref="Option.Float"/>.</summary>
public sealed class FloatOption : OptionField
{
    private readonly double _default;

    internal FloatOption(string field, double defaultValue, double? min, double? max, string? label, string? target)
        : base(field, label, target)
    {
        foreach (var (name, bound) in new[] { ("min", min), ("max", max), ("default", defaultValue) })
        {
            if (bound is { } b && !double.IsFinite(b))
            {
                throw new ArgumentException($"Option '{field}': {name} must be a finite number", name);
            }
        }

        if (min > max)
        {
            throw new ArgumentException($"Option '{field}': min ({min}) is greater than max ({max})", nameof(min));
        }

        Min = min;
        Max = max;
        _default = ValidDefault(this, Validate, defaultValue);
    }

    /// <summary>The smallest valid value, or <see langword="null"/> when unbounded.</summary>
    public double? Min { get; }

    /// <summary>The largest valid value, or <see langword="null"/> when unbounded.</summary>
    public double? Max { get; }

    /// <inheritdoc/>
    public override object? Default => _default;

    private protected override string SpecType => "float";

    internal override object? Validate(object? value)
    {
        double number = value switch
        {
            double d => d,
            float f => f,
            decimal m => (double)m,
            long l => l,
            int i => i,
            short s => s,
            byte b => b,
            uint ui => ui,
            ulong ul => ul,
            BigInteger big => (double)big,
            _ => throw TypeError("a float", value),
        };
        if (!double.IsFinite(number))
        {
            throw TypeError("a finite float", value);
        }

        if (Min is { } min && number < min)
        {
            throw new InvalidOptionsException($"{Field} must be >= {PythonFormat.FixedSix(min)}, got {PythonFormat.Float(number)}");
        }

        if (Max is { } max && number > max)
        {
            throw new InvalidOptionsException($"{Field} must be <= {PythonFormat.FixedSix(max)}, got {PythonFormat.Float(number)}");
        }

        return number;
    }

    private protected override void WriteSpecDetails(Utf8JsonWriter writer)
    {
        WriteBound(writer, "min", Min);
        WriteBound(writer, "max", Max);
    }

    private static void WriteBound(Utf8JsonWriter writer, string name, double? bound)
    {
        writer.WritePropertyName(name);
        if (bound is { } value)
        {
            OptionJson.WriteFloat(writer, value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
