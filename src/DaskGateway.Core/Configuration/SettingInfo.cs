using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace DaskGateway.Configuration;

/// <summary>One setting: a public instance property with a public setter.</summary>
internal sealed class SettingInfo
{
    private SettingInfo(PropertyInfo property, Type declaringType)
    {
        Property = property;
        DeclaringType = declaringType;
        SnakeName = NameSuggestions.ToSnakeCase(property.Name);
        Aliases = [.. property.GetCustomAttributes<SettingAliasAttribute>(inherit: true).Select(alias => alias.Alias)];
        ClassBase = property.PropertyType == typeof(Type)
            ? property.GetCustomAttribute<ClassSettingAttribute>(inherit: true)?.BaseType ?? typeof(object)
            : null;
        IsCommand = Attribute.IsDefined(property, typeof(CommandSettingAttribute), inherit: true);
        Range = property.GetCustomAttribute<RangeAttribute>(inherit: true);
        Description = property.GetCustomAttribute<DescriptionAttribute>(inherit: true)?.Description;
        AllowsNull = property.PropertyType.IsValueType
            ? Nullable.GetUnderlyingType(property.PropertyType) is not null
            : new NullabilityInfoContext().Create(property).WriteState != NullabilityState.NotNull;
    }

    public PropertyInfo Property { get; }

    public string Name => Property.Name;

    public Type Type => Property.PropertyType;

    /// <summary>The class that first declares the setting (its section in <c>--help</c>).</summary>
    public Type DeclaringType { get; }

    public string SnakeName { get; }

    public IReadOnlyList<string> Aliases { get; }

    /// <summary>For a <see cref="System.Type"/>-valued setting, the type every accepted class derives from.</summary>
    public Type? ClassBase { get; }

    public bool IsCommand { get; }

    public bool AllowsNull { get; }

    public RangeAttribute? Range { get; }

    public string? Description { get; }

    public bool CanRead => Property.GetMethod is { IsPublic: true };

    /// <summary>The names the setting answers to exactly: its name, snake_case and aliases.</summary>
    public IEnumerable<string> Names => Aliases.Prepend(SnakeName).Prepend(Name);

    public static SettingInfo Create(PropertyInfo property, Type declaringType) => new(property, declaringType);

    public static bool IsSetting(PropertyInfo property) =>
        property.SetMethod is { IsPublic: true, IsStatic: false }
        && property.GetIndexParameters().Length == 0
        && !Attribute.IsDefined(property, typeof(SettingIgnoreAttribute), inherit: true);
}

/// <summary>The settings of one class, inherited ones included, base-class settings first.</summary>
internal sealed class SettingMap
{
    private static readonly ConditionalWeakTable<Type, SettingMap> Cache = [];

    private SettingMap(Type type)
    {
        Type = type;
        var settings = new List<SettingInfo>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var level in ConfigurableTypes.Hierarchy(type))
        {
            var declared = level
                .GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(SettingInfo.IsSetting)
                .OrderBy(property => property.MetadataToken);
            foreach (var property in declared)
            {
                if (positions.TryGetValue(property.Name, out var position))
                {
                    // An override (or a `new` property) replaces the base one but stays listed where it was declared.
                    settings[position] = SettingInfo.Create(property, settings[position].DeclaringType);
                }
                else
                {
                    positions[property.Name] = settings.Count;
                    settings.Add(SettingInfo.Create(property, level));
                }
            }
        }

        Settings = settings;
    }

    public Type Type { get; }

    public IReadOnlyList<SettingInfo> Settings { get; }

    public static SettingMap For(Type type) => Cache.GetValue(type, static type => new SettingMap(type));

    /// <summary>
    /// Finds a setting by its exact name, snake_case name or alias, else case-insensitively (when that
    /// is not ambiguous).
    /// </summary>
    public bool TryFind(string name, [NotNullWhen(true)] out SettingInfo? setting)
    {
        setting = Settings.FirstOrDefault(candidate => candidate.Name == name)
            ?? Settings.FirstOrDefault(candidate => candidate.Names.Contains(name, StringComparer.Ordinal));
        if (setting is null)
        {
            var matches = Settings
                .Where(candidate => candidate.Names.Contains(name, StringComparer.OrdinalIgnoreCase))
                .Take(2)
                .ToList();
            setting = matches.Count == 1 ? matches[0] : null;
        }

        return setting is not null;
    }

    /// <summary>The closest setting names to an unknown one; snake_case forms when it is written so.</summary>
    public IReadOnlyList<string> Suggest(string name)
    {
        var snake = name.Contains('_', StringComparison.Ordinal);
        return NameSuggestions.Closest(name, Settings.SelectMany(setting => setting.Names.Select(form =>
            (form, form == setting.Name || form == setting.SnakeName ? (snake ? setting.SnakeName : setting.Name) : form))));
    }
}
