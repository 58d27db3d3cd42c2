using System.Globalization;

namespace DaskGateway.Configuration;

/// <summary>Conversions to scalar settings: booleans, integers, floating-point numbers and memory sizes.</summary>
internal sealed partial class SettingValueConverter
{
    private static readonly Dictionary<Type, (Int128 Min, Int128 Max, Func<Int128, object> Cast)> Integers = new()
    {
        [typeof(sbyte)] = (sbyte.MinValue, sbyte.MaxValue, value => (sbyte)value),
        [typeof(byte)] = (byte.MinValue, byte.MaxValue, value => (byte)value),
        [typeof(short)] = (short.MinValue, short.MaxValue, value => (short)value),
        [typeof(ushort)] = (ushort.MinValue, ushort.MaxValue, value => (ushort)value),
        [typeof(int)] = (int.MinValue, int.MaxValue, value => (int)value),
        [typeof(uint)] = (uint.MinValue, uint.MaxValue, value => (uint)value),
        [typeof(long)] = (long.MinValue, long.MaxValue, value => (long)value),
        [typeof(ulong)] = (ulong.MinValue, ulong.MaxValue, value => (ulong)value),
    };

    private static bool TryBoolean(object value, out object? result)
    {
        result = value switch
        {
            bool flag => flag,
            string text => text.Trim().ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" => true,
                "FALSE" or "0" or "NO" => false,
                _ => null,
            },
            _ => null,
        };
        return result is not null;
    }

    private static bool TryInteger(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        Int128 number;
        if (AsIntegral(value) is { } integral)
        {
            number = integral;
        }
        else if (AsFloating(value) is { } floating)
        {
            // 1e38 keeps the cast to Int128 safe; every integer type is far narrower.
            if (!double.IsFinite(floating) || Math.Truncate(floating) != floating || Math.Abs(floating) >= 1e38)
            {
                return false;
            }

            number = (Int128)floating;
        }
        else if (value is decimal exact)
        {
            if (decimal.Truncate(exact) != exact)
            {
                return false;
            }

            number = (Int128)exact;
        }
        else if (value is not string text
            || !Int128.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        var (min, max, cast) = Integers[type];
        if (number < min || number > max)
        {
            detail = string.Create(CultureInfo.InvariantCulture, $"out of range ({min} to {max})");
            return false;
        }

        result = cast(number);
        return true;
    }

    private static bool TryNumber(object value, Type type, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        if (type == typeof(decimal))
        {
            decimal exact;
            try
            {
                if (value is string text)
                {
                    if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out exact))
                    {
                        return false;
                    }
                }
                else
                {
                    exact = AsIntegral(value) is { } integral ? (decimal)integral
                        : AsFloating(value) is { } floating && double.IsFinite(floating) ? (decimal)floating
                        : value is decimal given ? given
                        : throw new FormatException();
                }
            }
            catch (Exception exception) when (exception is OverflowException or FormatException)
            {
                return false;
            }

            result = exact;
            return true;
        }

        double number;
        if (AsIntegral(value) is { } whole)
        {
            number = (double)whole;
        }
        else if (AsFloating(value) is { } floatingValue)
        {
            number = floatingValue;
        }
        else if (value is decimal decimalValue)
        {
            number = (double)decimalValue;
        }
        else if (value is not string text || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        if (type == typeof(float))
        {
            if (double.IsFinite(number) && Math.Abs(number) > float.MaxValue)
            {
                detail = "out of range for a single-precision number";
                return false;
            }

            result = (float)number;
            return true;
        }

        result = number;
        return true;
    }

    private static bool TryMemorySize(object value, bool fromCommandLine, out object? result, out string? detail)
    {
        result = null;
        detail = null;
        switch (value)
        {
            case MemorySize:
                result = value;
                return true;
            case string text when fromCommandLine && text.Trim() is { Length: > 0 } digits && digits.All(char.IsAsciiDigit):
                if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
                {
                    detail = "out of range for a memory size";
                    return false;
                }

                result = new MemorySize(bytes);
                return true;
            case string text:
                if (!MemorySize.TryParse(text, out var size, out var error))
                {
                    detail = error;
                    return false;
                }

                result = size;
                return true;
            default:
                if (!TryInteger(value, typeof(long), out var number, out detail))
                {
                    return false;
                }

                if ((long)number! < 0)
                {
                    detail = "a memory size cannot be negative";
                    return false;
                }

                result = new MemorySize((long)number);
                return true;
        }
    }

    private static Int128? AsIntegral(object value) => value switch
    {
        sbyte number => number,
        byte number => number,
        short number => number,
        ushort number => number,
        int number => number,
        uint number => number,
        long number => number,
        ulong number => number,
        Int128 number => number,
        _ => null,
    };

    private static double? AsFloating(object value) => value switch
    {
        double number => number,
        float number => number,
        Half number => (double)number,
        _ => null,
    };
}
