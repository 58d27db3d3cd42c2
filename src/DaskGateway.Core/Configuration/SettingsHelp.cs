using System.Reflection;
using System.Text;

namespace DaskGateway.Configuration;

/// <summary>The <c>--help</c> text for setting flags.</summary>
public static class SettingsHelp
{
    /// <summary>
    /// Lists every section (base classes before their subclasses, siblings alphabetically) with the
    /// settings its class declares: <c>--Section.Setting=&lt;type&gt;</c>, the default value and the
    /// <see cref="System.ComponentModel.DescriptionAttribute"/> text.
    /// </summary>
    public static string Describe(ConfigurableTypes types)
    {
        ArgumentNullException.ThrowIfNull(types);
        var sections = types.SectionTypes.ToList();
        var text = new StringBuilder();
        foreach (var type in Ordered(sections))
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            var section = ConfigurableTypes.SectionName(type);
            text.Append(section).Append(" (").Append(ConfigurableTypes.FullName(type)).Append(type.IsAbstract ? ", abstract" : "").Append("):\n");
            var declared = SettingMap.For(type).Settings.Where(setting => setting.DeclaringType == type).ToList();
            if (declared.Count == 0)
            {
                var inherited = type.BaseType is { } baseType && sections.Contains(baseType)
                    ? $"  (no settings of its own; those of {ConfigurableTypes.SectionName(baseType)} apply)"
                    : "  (no settings)";
                text.Append(inherited).Append('\n');
                continue;
            }

            var defaults = DefaultInstance(type, types.Types);
            foreach (var setting in declared)
            {
                text.Append("  --").Append(section).Append('.').Append(setting.Name)
                    .Append("=<").Append(SettingValueConverter.Noun(setting)).Append(">\n");
                if (defaults is not null && TryRead(defaults, setting, out var value))
                {
                    text.Append("      Default: ").Append(ValueText.Repr(value)).Append('\n');
                }

                foreach (var line in (setting.Description ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    text.Append("      ").Append(line.Trim()).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Roots alphabetically, each followed by its subclasses (depth first, alphabetically).</summary>
    internal static List<Type> Ordered(List<Type> sections)
    {
        var ordered = new List<Type>();
        Visit(sections.Where(type => type.BaseType is null || !sections.Contains(type.BaseType)));
        return ordered;

        void Visit(IEnumerable<Type> level)
        {
            foreach (var type in level.OrderBy(ConfigurableTypes.SectionName, StringComparer.OrdinalIgnoreCase)
                .ThenBy(type => type.FullName, StringComparer.Ordinal))
            {
                ordered.Add(type);
                Visit(sections.Where(candidate => candidate.BaseType == type));
            }
        }
    }

    /// <summary>
    /// An instance to read defaults from: the class itself, or for an abstract class the nearest
    /// registered concrete subclass; null when none can be created.
    /// </summary>
    internal static object? DefaultInstance(Type type, IEnumerable<Type> registered)
    {
        var concrete = !type.IsAbstract
            ? type
            : registered.Where(candidate => !candidate.IsAbstract && type.IsAssignableFrom(candidate))
                .OrderBy(candidate => ConfigurableTypes.Hierarchy(candidate).Count)
                .FirstOrDefault();
        if (concrete is null)
        {
            return null;
        }

        try
        {
            return Activator.CreateInstance(concrete, nonPublic: true);
        }
        catch (Exception exception) when (exception is MemberAccessException or TargetInvocationException or NotSupportedException)
        {
            return null;
        }
    }

    internal static bool TryRead(object instance, SettingInfo setting, out object? value)
    {
        value = null;
        if (!setting.CanRead)
        {
            return false;
        }

        try
        {
            value = setting.Property.GetValue(instance);
            return true;
        }
        catch (TargetInvocationException)
        {
            return false;
        }
    }
}
