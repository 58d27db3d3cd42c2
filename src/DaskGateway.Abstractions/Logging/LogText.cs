using System.Globalization;
using System.Text;

namespace DaskGateway.Logging;

/// <summary>
/// Makes a string that a user, a client or a cluster chose (a request path, a user name, an
/// address a scheduler reported) safe to put in a log line: one value can neither start a line of
/// its own nor fill the log. Extensions use it for what they log of a request (a user name from
/// credentials, a path), as the gateway does.
/// </summary>
public static class LogText
{
    /// <summary>Characters of a value that are logged; the rest is replaced by a count.</summary>
    public const int MaxLength = 512;

    /// <summary>
    /// The value with control characters (CR and LF included), format characters such as
    /// bidirectional overrides, line and paragraph separators and lone surrogates written as
    /// <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>, backslashes doubled so that an escape in the
    /// log is always ours, and anything beyond <see cref="MaxLength"/> characters cut off.
    /// </summary>
    public static string Escape(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var shown = Math.Min(value.Length, MaxLength);
        var clean = true;
        for (var i = 0; i < shown && clean; i++)
        {
            clean = !NeedsEscape(value, i);
        }

        if (clean && shown == value.Length)
        {
            return value;
        }

        var builder = new StringBuilder(shown + 32);
        for (var i = 0; i < shown; i++)
        {
            var c = value[i];
            if (!NeedsEscape(value, i))
            {
                builder.Append(c);
                continue;
            }

            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '\n' => builder.Append(@"\n"),
                '\r' => builder.Append(@"\r"),
                '\t' => builder.Append(@"\t"),
                _ => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
            };
        }

        if (shown < value.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $"...(+{value.Length - shown} chars)");
        }

        return builder.ToString();
    }

    private static bool NeedsEscape(string value, int index)
    {
        var c = value[index];
        if (c is >= ' ' and < '\x7f')
        {
            return c == '\\';
        }

        // Surrogates are fine in pairs; a lone half is not a character.
        if (char.IsHighSurrogate(c))
        {
            return index + 1 >= value.Length || !char.IsLowSurrogate(value[index + 1]);
        }

        if (char.IsLowSurrogate(c))
        {
            return index == 0 || !char.IsHighSurrogate(value[index - 1]);
        }

        return char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }
}
