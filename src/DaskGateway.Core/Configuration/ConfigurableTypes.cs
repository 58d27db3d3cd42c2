using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace DaskGateway.Configuration;

/// <summary>
/// The configurable classes: each registered class and each of its base classes (below
/// <see cref="object"/>) is a configuration section. Also resolves class-valued settings.
/// </summary>
public sealed class ConfigurableTypes
{
    private readonly List<Type> _types = [];
    private readonly List<Type> _sectionTypes = [];
    private readonly List<(string Alias, Type Type)> _aliases = [];

    /// <summary>The registered classes, in registration order.</summary>
    public IEnumerable<Type> Types => _types;

    /// <summary>Every section's class: the registered classes and their base classes.</summary>
    public IEnumerable<Type> SectionTypes => _sectionTypes;

    public void Register(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!type.IsClass || type.ContainsGenericParameters)
        {
            throw new ArgumentException($"{type} is not a configurable class.", nameof(type));
        }

        if (_types.Contains(type))
        {
            return;
        }

        _types.Add(type);
        foreach (var level in Hierarchy(type).Where(level => !_sectionTypes.Contains(level)))
        {
            _sectionTypes.Add(level);
        }
    }

    /// <summary>
    /// Registers <paramref name="type"/> (if it is not yet) and another name it can be found by in
    /// class-valued settings, compared case-insensitively, like a <see cref="ClassAliasAttribute"/>
    /// (extensions use it for <c>&lt;file stem&gt;.&lt;type&gt;</c>).
    /// </summary>
    public void RegisterAlias(string alias, Type type)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        Register(type);
        if (!_aliases.Contains((alias, type)))
        {
            _aliases.Add((alias, type));
        }
    }

    /// <summary>The section name of a class: its <see cref="ConfigSectionAttribute"/>, else its short name.</summary>
    public static string SectionName(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.GetCustomAttribute<ConfigSectionAttribute>(inherit: false)?.Name ?? type.Name;
    }

    /// <summary>
    /// The classes behind a section name (usually one; a base class may be shared by several
    /// registered classes, and two classes in different namespaces may share a name).
    /// </summary>
    public bool TryGetSectionTypes(string sectionName, out IReadOnlyList<Type> types)
    {
        types = [.. _sectionTypes.Where(type => SectionName(type) == sectionName)];
        return types.Count > 0;
    }

    /// <summary>
    /// Resolves the value of a class-valued setting: a <see cref="ClassAliasAttribute"/> alias
    /// (case-insensitive), full name, short name, then full or short name case-insensitively. The class
    /// must be concrete and derive from <paramref name="baseType"/>.
    /// </summary>
    public bool TryResolveClass(string name, Type baseType, [NotNullWhen(true)] out Type? type, out string error)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(baseType);
        var wanted = name.Trim();
        Func<Type, bool>[] stages =
        [
            candidate => Aliases(candidate).Any(alias => string.Equals(alias, wanted, StringComparison.OrdinalIgnoreCase)),
            candidate => FullName(candidate) == wanted,
            candidate => candidate.Name == wanted,
            candidate => string.Equals(FullName(candidate), wanted, StringComparison.OrdinalIgnoreCase),
            candidate => string.Equals(candidate.Name, wanted, StringComparison.OrdinalIgnoreCase),
        ];
        foreach (var stage in stages)
        {
            var matches = _sectionTypes.Where(stage).ToList();
            if (matches.Count == 0)
            {
                continue;
            }

            var usable = matches.Where(match => IsUsableClass(match, baseType)).ToList();
            if (usable.Count == 1)
            {
                type = usable[0];
                error = "";
                return true;
            }

            type = null;
            error = usable.Count > 1
                ? $"'{name}' is ambiguous: it could be {string.Join(", ", usable.Select(FullName).Order(StringComparer.Ordinal))}"
                : CheckClass(matches[0], baseType, name);
            return false;
        }

        type = null;
        var known = _sectionTypes.Where(candidate => IsUsableClass(candidate, baseType)).ToList();
        var suggestions = NameSuggestions.Closest(
            wanted,
            known.SelectMany(candidate => Aliases(candidate).Append(candidate.Name).Append(FullName(candidate)))
                .Select(form => (form, form)));
        error = $"unknown class '{name}' (expected a subclass of {baseType.Name}).{NameSuggestions.DidYouMean(suggestions)}";
        if (suggestions.Count == 0 && known.Count is > 0 and <= NameSuggestions.MaxKnownListed)
        {
            error += $" Known classes: {string.Join(", ", known.Select(candidate => candidate.Name))}";
        }

        return false;
    }

    /// <summary>Why <paramref name="type"/> cannot be the value of a class setting, or empty when it can.</summary>
    internal static string CheckClass(Type type, Type baseType, string name) =>
        !baseType.IsAssignableFrom(type) || !type.IsClass ? $"'{name}' is not a subclass of {baseType.Name}"
        : type.IsAbstract ? $"'{name}' is abstract: name a concrete subclass of {baseType.Name}"
        : type.ContainsGenericParameters ? $"'{name}' is an open generic class"
        : "";

    /// <summary>A class and its base classes below <see cref="object"/>, the most basic first.</summary>
    internal static IReadOnlyList<Type> Hierarchy(Type type)
    {
        var levels = new List<Type>();
        for (var level = type; level is not null && level != typeof(object); level = level.BaseType)
        {
            levels.Add(level);
        }

        levels.Reverse();
        return levels;
    }

    private static bool IsUsableClass(Type type, Type baseType) => CheckClass(type, baseType, type.Name).Length == 0;

    /// <summary>The full name as written in C# (nested classes with a dot).</summary>
    internal static string FullName(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    private IEnumerable<string> Aliases(Type type) =>
        type.GetCustomAttributes<ClassAliasAttribute>(inherit: false).Select(alias => alias.Alias)
            .Concat(_aliases.Where(alias => alias.Type == type).Select(alias => alias.Alias));
}
