using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace DaskGateway.Configuration;

/// <summary>
/// Applies recorded configuration to objects: each section of the object's class hierarchy, the most
/// basic class first (so a subclass's section wins), converting values to the settings' types. All
/// problems go to a <see cref="ConfigErrors"/> so that they are reported together.
/// </summary>
public sealed class SettingsBinder
{
    private readonly GatewayConfig _config;
    private readonly ConfigurableTypes _types;
    private readonly SettingValueConverter _converter;

    public SettingsBinder(GatewayConfig config, ConfigurableTypes types)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(types);
        _config = config;
        _types = types;
        _converter = new SettingValueConverter(types);
    }

    /// <summary>
    /// Creates <paramref name="type"/> with its parameterless constructor (public or not) and binds it.
    /// A class that cannot be created at all is added to <paramref name="errors"/>, which are then thrown.
    /// </summary>
    /// <exception cref="ConfigurationException">The class cannot be created.</exception>
    public object Create(Type type, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (TryCreate(type, errors) is { } instance)
        {
            return instance;
        }

        errors.ThrowIfAny();
        throw new InvalidOperationException($"'{ConfigurableTypes.FullName(type)}' could not be created.");
    }

    /// <summary>
    /// Like <see cref="Create(Type, ConfigErrors)"/>, but a class that cannot be created (not concrete,
    /// no parameterless constructor, a constructor that throws) is only added to
    /// <paramref name="errors"/>, naming the class, and the result is null, so that checking can go on.
    /// </summary>
    public object? TryCreate(Type type, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(errors);
        var name = ConfigurableTypes.FullName(type);
        object? instance = null;
        if (!type.IsClass || type.IsAbstract || type.ContainsGenericParameters)
        {
            errors.Add($"'{name}' cannot be created: it is not a concrete class");
        }
        else
        {
            try
            {
                instance = Activator.CreateInstance(type, nonPublic: true);
            }
            catch (MissingMethodException)
            {
                errors.Add($"'{name}' cannot be created: it has no parameterless constructor");
            }
            catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
            {
                errors.Add($"'{name}' cannot be created: its constructor threw {inner.GetType().Name}: {inner.Message}");
            }
        }

        if (instance is not null)
        {
            Bind(instance, errors);
        }

        return instance;
    }

    /// <inheritdoc cref="TryCreate(Type, ConfigErrors)"/>
    public T? TryCreate<T>(Type type, ConfigErrors errors)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(T).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type} does not derive from {typeof(T)}.", nameof(type));
        }

        return (T?)TryCreate(type, errors);
    }

    /// <inheritdoc cref="Create(Type, ConfigErrors)"/>
    public T Create<T>(Type type, ConfigErrors errors)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!typeof(T).IsAssignableFrom(type))
        {
            throw new ArgumentException($"{type} does not derive from {typeof(T)}.", nameof(type));
        }

        return (T)Create(type, errors);
    }

    /// <summary>
    /// Applies the recorded values of every section of the target's class hierarchy, the most basic
    /// class first, then checks <see cref="RangeAttribute"/> bounds. Settings that the hierarchy does
    /// not have are left to <see cref="Validate"/>.
    /// </summary>
    public void Bind(object target, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(errors);
        var applied = new Dictionary<string, RecordedSetting>(StringComparer.Ordinal);
        foreach (var level in ConfigurableTypes.Hierarchy(target.GetType()))
        {
            var section = ConfigurableTypes.SectionName(level);
            var settings = SettingMap.For(level);
            foreach (var recorded in _config.Settings.Where(recorded => recorded.Section == section))
            {
                if (!settings.TryFind(recorded.Setting, out var setting))
                {
                    continue;
                }

                var fromCommandLine = recorded.Source.Kind == SettingSourceKind.CommandLine;
                if (!_converter.TryConvert(recorded.Value, setting, fromCommandLine, out var value, out var failure))
                {
                    errors.Add(failure.Message, recorded.Source, recorded.Section, recorded.Setting);
                }
                else if (TrySet(target, setting, value) is { } error)
                {
                    errors.Add(error, recorded.Source, recorded.Section, recorded.Setting);
                }
                else
                {
                    applied[setting.Name] = recorded;
                }
            }
        }

        foreach (var setting in SettingMap.For(target.GetType()).Settings)
        {
            if (CheckRange(target, setting) is { } error)
            {
                if (applied.TryGetValue(setting.Name, out var recorded))
                {
                    errors.Add(error, recorded.Source, recorded.Section, recorded.Setting);
                }
                else
                {
                    errors.Add(error, null, ConfigurableTypes.SectionName(setting.DeclaringType), setting.Name);
                }
            }
        }
    }

    /// <summary>
    /// Whether a value was recorded (by the program, a config file or a flag) for the setting
    /// <paramref name="propertyName"/> of <paramref name="type"/>, under any section of its class
    /// hierarchy and any of its names: defaults that stand only while nobody chose differently ask this.
    /// </summary>
    public bool IsRecorded(Type type, string propertyName)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrEmpty(propertyName);
        foreach (var level in ConfigurableTypes.Hierarchy(type))
        {
            var section = ConfigurableTypes.SectionName(level);
            var settings = SettingMap.For(level);
            if (_config.Settings.Any(recorded => recorded.Section == section
                && settings.TryFind(recorded.Setting, out var setting) && setting.Name == propertyName))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Applies values returned by a cluster-options handler, after configuration: keys are setting
    /// names (PascalCase or snake_case). Errors name the key as given (they are shown to the end user).
    /// </summary>
    /// <returns>The keys that are not settings of the target (ignored, as upstream does).</returns>
    public IReadOnlyList<string> ApplyOverrides(object target, IReadOnlyDictionary<string, object?> overrides, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(overrides);
        ArgumentNullException.ThrowIfNull(errors);
        var settings = SettingMap.For(target.GetType());
        var unknown = new List<string>();
        var applied = new List<(string Key, SettingInfo Setting)>();
        foreach (var (key, given) in overrides)
        {
            if (!settings.TryFind(key, out var setting))
            {
                unknown.Add(key);
            }
            else if (!_converter.TryConvert(given, setting, fromCommandLine: false, out var value, out var failure))
            {
                errors.Add(failure.MessageFor(key));
            }
            else if (TrySet(target, setting, value) is { } error)
            {
                errors.Add($"{key}: {error}");
            }
            else
            {
                applied.Add((key, setting));
            }
        }

        foreach (var (key, setting) in applied)
        {
            if (CheckRange(target, setting) is { } error)
            {
                errors.Add($"{key} {error}");
            }
        }

        return unknown;
    }

    /// <summary>
    /// Reports every recorded section that is not a configurable class and every recorded setting that
    /// its section's class (with its base classes) does not have, with the closest known names.
    /// </summary>
    public void Validate(ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var unknownSections = new HashSet<string>(StringComparer.Ordinal);
        foreach (var recorded in _config.Settings)
        {
            if (!_types.TryGetSectionTypes(recorded.Section, out var sectionTypes))
            {
                if (unknownSections.Add(recorded.Section))
                {
                    var names = _types.SectionTypes.Select(ConfigurableTypes.SectionName).Distinct(StringComparer.Ordinal);
                    var suggestions = NameSuggestions.Closest(recorded.Section, names.Select(name => (name, name)));
                    errors.Add($"Unknown section '{recorded.Section}'.{NameSuggestions.DidYouMean(suggestions)}", recorded.Source);
                }

                continue;
            }

            var maps = sectionTypes.Select(SettingMap.For).ToList();
            if (!maps.Any(map => map.TryFind(recorded.Setting, out _)))
            {
                errors.Add(UnknownSetting(recorded, maps), recorded.Source);
            }
        }
    }

    private static string UnknownSetting(RecordedSetting recorded, IReadOnlyList<SettingMap> maps)
    {
        var message = $"Unknown setting '{recorded.Setting}' in section '{recorded.Section}'.";
        var suggestions = maps.SelectMany(map => map.Suggest(recorded.Setting))
            .Distinct(StringComparer.Ordinal)
            .Take(NameSuggestions.MaxSuggestions)
            .ToList();
        if (suggestions.Count > 0)
        {
            return message + NameSuggestions.DidYouMean(suggestions);
        }

        var known = maps.SelectMany(map => map.Settings).Select(setting => setting.Name).Distinct(StringComparer.Ordinal).ToList();
        return known.Count switch
        {
            0 => message + " The section has no settings.",
            <= NameSuggestions.MaxKnownListed => message + $" Known settings: {string.Join(", ", known)}",
            _ => message,
        };
    }

    private static string? TrySet(object target, SettingInfo setting, object? value)
    {
        try
        {
            setting.Property.SetValue(target, value);
            return null;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
        {
            return inner.Message;
        }
    }

    /// <summary><c>must be &gt;= 1, got 0</c> when a <see cref="RangeAttribute"/> bound is broken, else null.</summary>
    private static string? CheckRange(object target, SettingInfo setting)
    {
        if (setting.Range is not { } range || !setting.CanRead || setting.Property.GetValue(target) is not { } value)
        {
            return null;
        }

        double number;
        try
        {
            number = value is MemorySize size ? size.Bytes : Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is InvalidCastException or FormatException or OverflowException)
        {
            return null;
        }

        var minimum = Convert.ToDouble(range.Minimum, CultureInfo.InvariantCulture);
        var maximum = Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture);
        if (range.MinimumIsExclusive ? number <= minimum : number < minimum)
        {
            return Bound(range.MinimumIsExclusive ? ">" : ">=", range.Minimum, value);
        }

        if (range.MaximumIsExclusive ? number >= maximum : number > maximum)
        {
            return Bound(range.MaximumIsExclusive ? "<" : "<=", range.Maximum, value);
        }

        return null;

        static string Bound(string comparison, object bound, object value) =>
            $"must be {comparison} {Convert.ToString(bound, CultureInfo.InvariantCulture)}, got {ValueText.Repr(value)}";
    }
}
