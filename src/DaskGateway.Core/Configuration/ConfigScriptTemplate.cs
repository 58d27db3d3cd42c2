using System.Collections;
using System.Globalization;
using System.Text;
using DaskGateway.Clusters;

namespace DaskGateway.Configuration;

/// <summary>
/// The commented default config script that <c>dask-gateway-server generate-config</c> writes: every
/// section with every setting its class declares, its description, upstream's snake_case name and
/// a commented-out assignment of its default (valid C#, so that uncommenting a line keeps the default).
/// </summary>
public static class ConfigScriptTemplate
{
    private const string Rule = "// ------------------------------------------------------------------------------";

    public static string Generate(ConfigurableTypes types, string version)
    {
        ArgumentNullException.ThrowIfNull(types);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $$"""
            // Configuration file for dask-gateway-server {{version}}: a C# script, run once at start.
            //
            //   c.Section.Setting = value;            set a value (upstream's snake_case names work too)
            //   c["Section"].Update(new Dictionary<string, object> { ["Setting"] = value });
            //   LoadSubconfig("other.csx");           run another script (relative to this file)
            //   Environment.GetEnvironmentVariable("NAME")
            //
            // A setting of a base class applies to its subclasses (c.Backend.ClusterOptions reaches every
            // backend); the subclass's own section wins. Command-line flags (--Section.Setting=value)
            // override this file. A lambda or method needs a delegate type to be assigned:
            //   c.Backend.ClusterOptions = (Func<User, Options>)(user => new Options(...));
            // Classes in the extension directories (this file's directory, --extensions DIR and
            // DASK_GATEWAY_EXTENSION_PATHS; *.cs sources and *.dll assemblies) can be used here, and
            // named in class settings: c.DaskGateway.AuthenticatorClass = "MyAuthenticator".
            //
            // Every setting is listed below with its default, commented out.

            """);
        var sections = types.SectionTypes.ToList();
        foreach (var type in SettingsHelp.Ordered(sections))
        {
            var section = ConfigurableTypes.SectionName(type);
            var declared = SettingMap.For(type).Settings.Where(setting => setting.DeclaringType == type).ToList();
            text.Append('\n').Append(Rule).Append('\n')
                .Append("// ").Append(section).Append(" (").Append(ConfigurableTypes.FullName(type)).Append(type.IsAbstract ? ", abstract" : "").Append(")\n")
                .Append(Rule).Append('\n');
            if (declared.Count == 0)
            {
                text.Append("// (no settings of its own)\n");
                continue;
            }

            var defaults = SettingsHelp.DefaultInstance(type, types.Types);
            foreach (var setting in declared)
            {
                text.Append('\n');
                foreach (var line in (setting.Description ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    text.Append("// ").Append(line.Trim()).Append('\n');
                }

                text.Append("// Type: ").Append(SettingValueConverter.Noun(setting))
                    .Append(". Upstream: ").Append(section).Append('.').Append(setting.SnakeName).Append('\n');
                var assignment = $"c.{section}.{setting.Name} = ";
                if (defaults is not null && SettingsHelp.TryRead(defaults, setting, out var value) && Literal(value) is { } literal)
                {
                    text.Append("// ").Append(assignment).Append(literal).Append(";\n");
                }
                else
                {
                    text.Append("// ").Append(assignment).Append("...;  (default: ")
                        .Append(defaults is not null && SettingsHelp.TryRead(defaults, setting, out var other) ? ValueText.Repr(other) : "computed at start")
                        .Append(")\n");
                }
            }
        }

        return text.ToString();
    }

    /// <summary>A C# expression for a setting value that converts back to it, or null when there is none.</summary>
    internal static string? Literal(object? value) => value switch
    {
        null => "null",
        string text => String(text),
        bool flag => flag ? "true" : "false",
        double number => Double(number),
        float number => Double(number),
        decimal number => number.ToString(CultureInfo.InvariantCulture) + "m",
        IFormattable number when number is sbyte or byte or short or ushort or int or uint or long or ulong =>
            number.ToString(null, CultureInfo.InvariantCulture),
        MemorySize size => Memory(size),
        Type type => String(ConfigurableTypes.FullName(type)),
        Enum choice => String(choice.ToString()),
        ClusterOptionsSource source when ReferenceEquals(source, ClusterOptionsSource.Empty) => "new Options()",
        IDictionary map => Mapping(map),
        IEnumerable items => Sequence(items),
        _ => null,
    };

    private static string String(string text)
    {
        var literal = new StringBuilder("\"");
        foreach (var character in text)
        {
            literal.Append(character switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(character) => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)character:x4}"),
                _ => character.ToString(),
            });
        }

        return literal.Append('"').ToString();
    }

    private static string Double(double number) =>
        double.IsNaN(number) ? "double.NaN"
        : double.IsPositiveInfinity(number) ? "double.PositiveInfinity"
        : double.IsNegativeInfinity(number) ? "double.NegativeInfinity"
        : number.ToString("R", CultureInfo.InvariantCulture) is var text && (text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal)) ? text
        : number.ToString("R", CultureInfo.InvariantCulture) + ".0";

    /// <summary>upstream's form when it is exact (<c>"2 G"</c>), else the number of bytes.</summary>
    private static string Memory(MemorySize size)
    {
        foreach (var (suffix, unit) in new[] { ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) })
        {
            if (size.Bytes != 0 && size.Bytes % unit == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"\"{size.Bytes / unit} {suffix}\"");
            }
        }

        return size.Bytes.ToString(CultureInfo.InvariantCulture);
    }

    private static string? Sequence(IEnumerable items)
    {
        var elements = new List<string>();
        foreach (var item in items)
        {
            if (item is not string text)
            {
                return null;
            }

            elements.Add(String(text));
        }

        return elements.Count == 0 ? "new string[0]" : $"new[] {{ {string.Join(", ", elements)} }}";
    }

    private static string? Mapping(IDictionary map)
    {
        var entries = new List<string>();
        var allStrings = true;
        foreach (DictionaryEntry entry in map)
        {
            if (entry.Key is not string key || Literal(entry.Value) is not { } literal)
            {
                return null;
            }

            allStrings &= entry.Value is string;
            entries.Add($"[{String(key)}] = {literal}");
        }

        var type = allStrings ? "Dictionary<string, string>" : "Dictionary<string, object>";
        return entries.Count == 0 ? $"new {type}()" : $"new {type} {{ {string.Join(", ", entries)} }}";
    }
}
