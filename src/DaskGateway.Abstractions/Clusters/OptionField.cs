using System.Text.Json;

namespace DaskGateway.Clusters;

/// <summary>
/// One user-settable cluster option. Create fields with the factory methods of <see cref="Option"/>.
/// </summary>
public abstract class OptionField
{
    private protected OptionField(string field, string? label, string? target)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        Field = field;
        Label = string.IsNullOrEmpty(label) ? field : label;
        Target = string.IsNullOrEmpty(target) ? field : target;
    }

    /// <summary>The name users set (<c>worker_cores</c>).</summary>
    public string Field { get; }

    /// <summary>The human-readable label shown in user interfaces.</summary>
    public string Label { get; }

    /// <summary>The key of this option in the values given to the handler (default: <see cref="Field"/>).</summary>
    public string Target { get; }

    /// <summary>The default value, as reported to clients.</summary>
    public abstract object? Default { get; }

    /// <summary>The <c>spec.type</c> of the option specification (<c>int</c>, <c>float</c>, ...).</summary>
    private protected abstract string SpecType { get; }

    /// <summary>Checks a value sent by a user and returns it normalized (for example an integer as a float).</summary>
    /// <exception cref="InvalidOptionsException">The value is not valid for this field.</exception>
    internal abstract object? Validate(object? value);

    /// <summary>Turns a validated value into the value the handler sees (a select key into its value).</summary>
    internal virtual object? Transform(object? value) => value;

    /// <summary>The value used when the user did not set this field.</summary>
    internal virtual object? DefaultValue => Default;

    /// <summary>
    /// Writes the field's specification as the gateway's <c>GET /api/v1/options</c> answers it
    /// (protocol.md §5): <c>{"field", "label", "default", "spec": {"type", ...}}</c>.
    /// </summary>
    public void WriteSpecification(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("field", Field);
        writer.WriteString("label", Label);
        writer.WritePropertyName("default");
        WriteDefault(writer);
        writer.WritePropertyName("spec");
        writer.WriteStartObject();
        writer.WriteString("type", SpecType);
        WriteSpecDetails(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private protected virtual void WriteDefault(Utf8JsonWriter writer) => OptionJson.WriteValue(writer, Default);

    private protected virtual void WriteSpecDetails(Utf8JsonWriter writer)
    {
    }

    private protected InvalidOptionsException TypeError(string expected, object? value) =>
        new($"{Field} must be {expected}, got {PythonFormat.Repr(value)}");

    private protected static T ValidDefault<T>(OptionField field, Func<object?, object?> validate, T value)
    {
        try
        {
            _ = validate(value);
            return value;
        }
        catch (InvalidOptionsException e)
        {
            throw new ArgumentException($"Invalid default for option '{field.Field}': {e.Message}", nameof(value), e);
        }
    }
}
