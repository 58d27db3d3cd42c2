using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace DaskGateway.Configuration;

/// <summary>Why a value could not be converted: <c>expected a string, got 12</c>.</summary>
internal sealed record ConversionFailure(string Expected, string Got, string? Detail)
{
    private string Suffix => Detail is null ? "" : $": {Detail}";

    /// <summary><c>expected an integer, got 'abc'</c>, for a config error that names its setting.</summary>
    public string Message => $"expected {Expected}, got {Got}{Suffix}";

    /// <summary><c>worker_cores expects an integer, got 'abc'</c>, for an end user.</summary>
    public string MessageFor(string key) => $"{key} expects {Expected}, got {Got}{Suffix}";
}

/// <summary>
/// Converts a recorded value (a CLR object from the config script, or a string from a flag) to the
/// type of the setting it is bound to.
/// </summary>
internal sealed partial class SettingValueConverter(ConfigurableTypes types)
{
    public bool TryConvert(
        object? value, SettingInfo setting, bool fromCommandLine, out object? result, [NotNullWhen(false)] out ConversionFailure? failure)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (TryConvert(value, setting.Type, setting.AllowsNull, setting.ClassBase, fromCommandLine, out result, out var detail))
        {
            failure = null;
            return true;
        }

        failure = new ConversionFailure(Expected(setting), ValueText.Repr(value), detail);
        return false;
    }

    /// <summary>What a setting accepts, with an article: <c>an integer</c>, <c>a memory size</c>.</summary>
    public static string Expected(SettingInfo setting) => Expected(setting.Type, setting.IsCommand, setting.ClassBase);

    /// <summary>What a setting accepts, without an article, for <c>--help</c>: <c>integer</c>.</summary>
    public static string Noun(SettingInfo setting)
    {
        var expected = Expected(setting);
        return expected.StartsWith("a ", StringComparison.Ordinal) ? expected[2..]
            : expected.StartsWith("an ", StringComparison.Ordinal) ? expected[3..]
            : expected;
    }

    private static string Expected(Type type, bool isCommand, Type? classBase)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Expected(underlying, isCommand, classBase) + " or None";
        }

        if (type == typeof(string))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "a boolean";
        }

        if (Integers.ContainsKey(type))
        {
            return "an integer";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (type == typeof(MemorySize))
        {
            return "a memory size";
        }

        if (IsStringList(type))
        {
            return isCommand ? "a command (a string or a list of strings)" : "a list of strings";
        }

        if (IsStringMap(type, out var valueType))
        {
            return valueType == typeof(string) ? "a mapping of strings to strings" : "a mapping of strings to values";
        }

        if (type == typeof(Type))
        {
            return classBase is null || classBase == typeof(object) ? "a class" : $"a class deriving from {classBase.Name}";
        }

        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(type).Select(name => $"'{name}'"))}";
        }

        return ValueText.TypeName(type);
    }

    private bool TryConvert(
        object? value, Type type, bool allowsNull, Type? classBase, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return value is null
                || (value is string text && (text.Trim() is "None" or "none" or "null"))
                || TryConvert(value, underlying, false, classBase, fromCommandLine, out result, out detail);
        }

        if (value is null)
        {
            return allowsNull && !type.IsValueType;
        }

        // The known kinds decide alone; a user-defined implicit conversion is for strings and other
        // types (so MemorySize's conversion from long cannot let a negative size through).
        return
            type == typeof(string) ? TryAssign(value, type, out result) || TryImplicit(value, type, out result, out detail)
            : type == typeof(bool) ? TryBoolean(value, out result)
            : Integers.ContainsKey(type) ? TryInteger(value, type, out result, out detail)
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? TryNumber(value, type, out result, out detail)
            : type == typeof(MemorySize) ? TryMemorySize(value, fromCommandLine, out result, out detail)
            : type.IsEnum ? TryEnum(value, type, out result)
            : type == typeof(Type) ? TryClass(value, classBase ?? typeof(object), out result, out detail)
            : IsStringList(type) ? TryStringList(value, type, fromCommandLine, out result, out detail)
            : IsStringMap(type, out var valueType) ? TryStringMap(value, type, valueType, fromCommandLine, out result, out detail)
            : TryAssign(value, type, out result) || TryImplicit(value, type, out result, out detail);
    }

    private static bool TryAssign(object value, Type type, out object? result)
    {
        result = type.IsInstanceOfType(value) ? value : null;
        return result is not null;
    }

    private static bool TryEnum(object value, Type type, out object? result)
    {
        result = value.GetType() == type ? value
            : value is string text && Enum.GetNames(type).FirstOrDefault(name => string.Equals(name, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } match
                ? Enum.Parse(type, match)
            : null;
        return result is not null;
    }

    private bool TryClass(object value, Type classBase, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (value is Type type)
        {
            detail = ConfigurableTypes.CheckClass(type, classBase, ConfigurableTypes.FullName(type));
            result = detail.Length == 0 ? type : null;
            detail = detail.Length == 0 ? null : detail;
            return result is not null;
        }

        if (value is string name)
        {
            if (types.TryResolveClass(name, classBase, out var resolved, out var error))
            {
                result = resolved;
                return true;
            }

            detail = error;
        }

        return false;
    }

    /// <summary>A user-defined implicit conversion declared on the target type or the value's type.</summary>
    private static bool TryImplicit(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        var valueType = value.GetType();
        var conversion = ConfigurableTypes.Hierarchy(type).Concat(ConfigurableTypes.Hierarchy(valueType))
            .SelectMany(declaring => declaring.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.Name == "op_Implicit"
                && type.IsAssignableFrom(method.ReturnType)
                && method.GetParameters() is [var parameter]
                && parameter.ParameterType.IsInstanceOfType(value))
            .OrderBy(method => Distance(valueType, method.GetParameters()[0].ParameterType))
            .FirstOrDefault();
        if (conversion is null)
        {
            return false;
        }

        try
        {
            result = conversion.Invoke(null, [value]);
            return true;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
        {
            detail = inner.Message;
            return false;
        }
    }

    private static int Distance(Type from, Type to)
    {
        var steps = 0;
        for (var level = from; level is not null; level = level.BaseType, steps++)
        {
            if (level == to)
            {
                return steps;
            }
        }

        return int.MaxValue;
    }

}
