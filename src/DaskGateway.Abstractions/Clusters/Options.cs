using System.Collections;
using System.Text.Json;
using DaskGateway.Auth;

namespace DaskGateway.Clusters;

/// <summary>
/// The cluster options users may set, and how they become cluster settings:
/// <code>
/// c.Backend.ClusterOptions = new Options(
///     Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
///     Option.Float("worker_memory", 1, min: 1, max: 8, label: "Worker Memory (GiB)"),
///     handler: (options, user) => new Dictionary&lt;string, object?&gt;
///     {
///         ["worker_cores"] = options["worker_cores"],
///         ["worker_memory"] = $"{options.GetFloat("worker_memory")} G",
///     });
/// </code>
/// The handler's keys are settings of the cluster config (<c>WorkerCores</c> or <c>worker_cores</c>).
/// Without a handler, the options (keyed by each field's target) are the settings.
/// </summary>
public sealed partial class Options
{
    private readonly Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? _handler;

    /// <summary>Options with these fields and no handler.</summary>
    public Options(params OptionField[] fields)
        : this(fields, (Func<OptionValues, User, IReadOnlyDictionary<string, object?>>?)null)
    {
    }

    /// <summary>Options with these fields and a handler given the options and the requesting user.</summary>
    public Options(IEnumerable<OptionField> fields, Func<OptionValues, User, IReadOnlyDictionary<string, object?>>? handler)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var list = new List<OptionField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            ArgumentNullException.ThrowIfNull(field, nameof(fields));
            if (!names.Add(field.Field))
            {
                throw new ArgumentException($"Duplicate cluster option '{field.Field}'", nameof(fields));
            }

            list.Add(field);
        }

        Fields = list;
        _handler = handler;
    }

    /// <summary>Options with these fields and a handler given the options only.</summary>
    public Options(IEnumerable<OptionField> fields, Func<OptionValues, IReadOnlyDictionary<string, object?>>? handler)
        : this(fields, handler is null ? null : (options, _) => handler(options))
    {
    }

    /// <summary>The fields, in the order clients show them.</summary>
    public IReadOnlyList<OptionField> Fields { get; }

    /// <summary>Writes the specification clients read from <c>GET /api/v1/options</c>: a JSON array of fields.</summary>
    public void WriteSpecification(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray();
        foreach (var field in Fields)
        {
            field.WriteSpecification(writer);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Validates a user's request (a mapping of field names to JSON-like values) and returns the
    /// options keyed by field, defaults filled in: what is stored and shown as the cluster's options.
    /// </summary>
    /// <exception cref="InvalidOptionsException">The request is not valid; the message is for the user.</exception>
    public IReadOnlyDictionary<string, object?> Parse(object? request)
    {
        if (request is not IDictionary and not IReadOnlyDictionary<string, object?>)
        {
            throw new InvalidOptionsException($"options must be a dict, got {PythonTypeName(request)}");
        }

        var given = ToDictionary(request);
        var unknown = given.Keys.Where(key => !Fields.Any(f => f.Field == key)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOptionsException($"Unknown fields {PythonFormat.Repr(unknown)}");
        }

        var parsed = new Dictionary<string, object?>(Fields.Count, StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            parsed[field.Field] = field.Validate(given.TryGetValue(field.Field, out var value) ? value : field.DefaultValue);
        }

        return parsed;
    }

    /// <summary>
    /// Turns parsed options (from <see cref="Parse"/>) into cluster settings for
    /// <paramref name="user"/>, running the handler if there is one.
    /// </summary>
    /// <exception cref="InvalidOptionsException">The options are not valid; the message is for the user.</exception>
    public IReadOnlyDictionary<string, object?> GetConfiguration(IReadOnlyDictionary<string, object?> options, User user)
    {
        ArgumentNullException.ThrowIfNull(options);
        var transformed = new Dictionary<string, object?>(Fields.Count, StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            transformed[field.Target] = field.Transform(options.TryGetValue(field.Field, out var value) ? value : field.DefaultValue);
        }

        return _handler is null ? transformed : _handler(new OptionValues(transformed), user) ?? new Dictionary<string, object?>();
    }

    private static Dictionary<string, object?> ToDictionary(object request)
    {
        if (request is IReadOnlyDictionary<string, object?> typed)
        {
            return new Dictionary<string, object?>(typed, StringComparer.Ordinal);
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in (IDictionary)request)
        {
            result[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""] = entry.Value;
        }

        return result;
    }

    private static string PythonTypeName(object? value) => value switch
    {
        null => "NoneType",
        bool => "bool",
        string => "str",
        double or float or decimal => "float",
        long or int or short or byte or System.Numerics.BigInteger => "int",
        IEnumerable => "list",
        _ => value.GetType().Name,
    };
}
