using System.Text;

namespace DaskGateway.Storage.Encryption;

/// <summary>
/// URL-safe base64 with padding, as Python's <c>base64.urlsafe_b64encode</c> writes it (the form of
/// Fernet keys and tokens). Decoding is strict: the length is a multiple of four, <c>=</c> appears only
/// as the final padding, and nothing outside the alphabet (whitespace included) is accepted.
/// </summary>
internal static class UrlSafeBase64
{
    public static string Encode(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_');

    /// <summary>Encodes <paramref name="data"/> as ASCII bytes.</summary>
    public static byte[] EncodeToAscii(ReadOnlySpan<byte> data) => Encoding.ASCII.GetBytes(Encode(data));

    /// <summary>Decodes ASCII text; with <paramref name="acceptStandardAlphabet"/>, <c>+</c> and <c>/</c> are accepted too.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, bool acceptStandardAlphabet, out byte[] data) =>
        TryDecode(Encoding.Latin1.GetString(text), acceptStandardAlphabet, out data);

    /// <summary>Decodes text; with <paramref name="acceptStandardAlphabet"/>, <c>+</c> and <c>/</c> are accepted too.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, bool acceptStandardAlphabet, out byte[] data)
    {
        data = [];
        if (text.IsEmpty || text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text[^1] != '=' ? 0 : text[^2] != '=' ? 1 : 2;
        var standard = new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            standard[i] = c switch
            {
                '-' => '+',
                '_' => '/',
                '+' or '/' when acceptStandardAlphabet => c,
                '=' when i >= text.Length - padding => c,
                _ when char.IsAsciiLetterOrDigit(c) => c,
                _ => '\0',
            };
            if (standard[i] == '\0')
            {
                return false;
            }
        }

        var buffer = new byte[text.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(standard, buffer, out var written))
        {
            return false;
        }

        data = buffer.AsSpan(0, written).ToArray();
        return true;
    }
}
