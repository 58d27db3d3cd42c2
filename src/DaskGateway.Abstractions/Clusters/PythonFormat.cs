using System.Collections;
using System.Globalization;
using System.Text;

namespace DaskGateway.Clusters;

/// <summary>
/// Renders values the way upstream's Python server does in its messages (<c>repr</c> and
/// <c>str</c>), so that error texts match upstream's word for word. A message never grows with
/// what a user sent: a rendering longer than <see cref="MaxLength"/> characters is cut there and
/// ends in <c>...</c> (upstream prints the whole value), and is built only that far. Extensions use it
/// for messages about the values users send (an <see cref="InvalidOptionsException"/> of an options
/// handler) and for floats handed to Python processes (<c>--dg-idle-timeout 30.0</c>).
/// </summary>
public static class PythonFormat
{
    /// <summary>The longest rendering of a value, ellipsis excluded.</summary>
    public const int MaxLength = 200;

    private const string Ellipsis = "...";

    /// <summary>Python's <c>repr(value)</c>: <c>'abc'</c>, <c>True</c>, <c>None</c>, <c>2.0</c>, <c>{'a': 1}</c>.</summary>
    public static string Repr(object? value) => Render(value, quoteStrings: true);

    /// <summary>Python's <c>str(value)</c>: like <see cref="Repr"/> but strings are not quoted.</summary>
    public static string Str(object? value) => Render(value, quoteStrings: false);

    private static string Render(object? value, bool quoteStrings)
    {
        var builder = new StringBuilder();
        Append(builder, value, quoteStrings);
        return builder.Length <= MaxLength ? builder.ToString() : builder.ToString(0, MaxLength) + Ellipsis;
    }

    /// <summary>Appends the rendering until the builder holds more than <see cref="MaxLength"/> characters.</summary>
    private static void Append(StringBuilder builder, object? value, bool quoteStrings)
    {
        if (builder.Length > MaxLength)
        {
            return;
        }

        _ = value switch
        {
            null => builder.Append("None"),
            bool b => builder.Append(b ? "True" : "False"),
            string s when quoteStrings => AppendReprString(builder, s),
            string s => builder.Append(s, 0, Math.Min(s.Length, MaxLength + 1)),
            double d => builder.Append(Float(d)),
            float f => builder.Append(Float(f)),
            decimal m => builder.Append(Float((double)m)),
            IFormattable n when IsInteger(n) => builder.Append(n.ToString(null, CultureInfo.InvariantCulture)),
            IDictionary dictionary => AppendDictionary(builder, dictionary),
            IEnumerable sequence => AppendList(builder, sequence),
            _ => builder.Append(value.ToString()),
        };
    }

    /// <summary>Python's <c>repr</c> of a float: shortest round trip, always with a point or exponent.</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0.0" : "0.0";
        }

        // Python's repr uses the shortest round-trip digits, as .NET's "R" does, but its own layout:
        // fixed notation for decimal exponents -4..15, else "1.5e-05" / "1e+16".
        var roundTrip = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = roundTrip[0] == '-';
        if (negative)
        {
            roundTrip = roundTrip[1..];
        }

        var exponent = 0;
        var ePosition = roundTrip.IndexOf('E', StringComparison.Ordinal);
        if (ePosition >= 0)
        {
            exponent = int.Parse(roundTrip[(ePosition + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..ePosition];
        }

        var point = roundTrip.IndexOf('.', StringComparison.Ordinal);
        var integerPart = point < 0 ? roundTrip : roundTrip[..point];
        var allDigits = integerPart + (point < 0 ? "" : roundTrip[(point + 1)..]);
        var significant = allDigits.TrimStart('0');
        var pointPosition = integerPart.Length - (allDigits.Length - significant.Length) + exponent;
        significant = significant.TrimEnd('0');

        var sign = negative ? "-" : "";
        var scientificExponent = pointPosition - 1;
        if (scientificExponent < -4 || scientificExponent >= 16)
        {
            var mantissa = significant.Length > 1 ? significant[0] + "." + significant[1..] : significant;
            var exponentSign = scientificExponent < 0 ? "-" : "+";
            return string.Create(CultureInfo.InvariantCulture, $"{sign}{mantissa}e{exponentSign}{Math.Abs(scientificExponent):00}");
        }

        if (pointPosition <= 0)
        {
            return sign + "0." + new string('0', -pointPosition) + significant;
        }

        if (pointPosition >= significant.Length)
        {
            return sign + significant + new string('0', pointPosition - significant.Length) + ".0";
        }

        return sign + significant[..pointPosition] + "." + significant[pointPosition..];
    }

    /// <summary>Python's <c>"%f" % value</c>: six decimals.</summary>
    internal static string FixedSix(double value) => value.ToString("F6", CultureInfo.InvariantCulture);

    private static bool IsInteger(IFormattable value) =>
        value is byte or sbyte or short or ushort or int or uint or long or ulong or System.Numerics.BigInteger;

    private static StringBuilder AppendReprString(StringBuilder builder, string value)
    {
        // Python prefers single quotes and switches to double quotes when only single quotes occur inside.
        var quote = value.Contains('\'', StringComparison.Ordinal) && !value.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        builder.Append(quote);
        foreach (var c in value)
        {
            if (builder.Length > MaxLength)
            {
                return builder;
            }

            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ when c == quote => builder.Append('\\').Append(c),
                _ when c < ' ' => builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}"),
                _ => builder.Append(c),
            };
        }

        return builder.Append(quote);
    }

    private static StringBuilder AppendList(StringBuilder builder, IEnumerable sequence)
    {
        builder.Append('[');
        var first = true;
        foreach (var item in sequence)
        {
            if (builder.Length > MaxLength)
            {
                return builder;
            }

            builder.Append(first ? "" : ", ");
            first = false;
            Append(builder, item, quoteStrings: true);
        }

        return builder.Append(']');
    }

    private static StringBuilder AppendDictionary(StringBuilder builder, IDictionary dictionary)
    {
        builder.Append('{');
        var first = true;
        foreach (DictionaryEntry entry in dictionary)
        {
            if (builder.Length > MaxLength)
            {
                return builder;
            }

            builder.Append(first ? "" : ", ");
            first = false;
            Append(builder, entry.Key, quoteStrings: true);
            builder.Append(": ");
            Append(builder, entry.Value, quoteStrings: true);
        }

        return builder.Append('}');
    }
}
