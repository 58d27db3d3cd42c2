using System.Security.Cryptography;
using System.Text;
using DaskGateway.Configuration;

namespace DaskGateway.Storage.Encryption;

/// <summary>
/// The database encryption keys of protocol.md §4.8 (<c>db_encrypt_keys</c> /
/// <c>DASK_GATEWAY_ENCRYPT_KEYS</c>), normalised to URL-safe base64. The first key encrypts, all
/// decrypt. No message or <see cref="ToString"/> ever contains key material.
/// </summary>
internal sealed class EncryptionKeys
{
    /// <summary>The environment variable holding <c>;</c>-separated keys.</summary>
    public const string EnvironmentVariable = "DASK_GATEWAY_ENCRYPT_KEYS";

    /// <summary>Upstream's error for a key that is neither base64 of 32 bytes nor 32 raw bytes.</summary>
    public const string InvalidKeyMessage = "All keys in `db_encrypt_keys`/`DASK_GATEWAY_ENCRYPT_KEYS` must be 32 bytes, base64-encoded";

    private const int Base64KeyLength = 44;

    private readonly byte[][] _keys;

    private EncryptionKeys(byte[][] keys)
    {
        _keys = keys;
        Keys = [.. keys.Select(key => UrlSafeBase64.Encode(key))];
    }

    /// <summary>The keys in URL-safe base64 with padding, first (encrypting) key first.</summary>
    public IReadOnlyList<string> Keys { get; }

    public int Count => _keys.Length;

    /// <summary>
    /// Parses keys as given (upstream's check of a configured <c>db_encrypt_keys</c> list): each is
    /// 44 characters of base64 (standard or URL-safe alphabet) of 32 bytes, or 32 ASCII characters
    /// taken as the raw key bytes.
    /// </summary>
    /// <exception cref="ConfigurationException">A key is neither; the message is <see cref="InvalidKeyMessage"/>.</exception>
    public static EncryptionKeys Parse(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return new EncryptionKeys([.. keys.Select(Normalize)]);
    }

    /// <summary>
    /// Parses the value of <see cref="EnvironmentVariable"/>: split on <c>;</c>, each part stripped of
    /// whitespace, empty parts dropped, the rest as in <see cref="Parse(IEnumerable{string})"/>.
    /// A missing or blank value gives no keys.
    /// </summary>
    /// <exception cref="ConfigurationException">A key is invalid.</exception>
    public static EncryptionKeys ParseEnvironmentValue(string? value) => ParseSeparated(value, ';');

    /// <summary>Reads the keys from <see cref="EnvironmentVariable"/>.</summary>
    /// <exception cref="ConfigurationException">A key is invalid.</exception>
    public static EncryptionKeys FromEnvironment() =>
        ParseEnvironmentValue(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>A new random key: 32 bytes in URL-safe base64 with padding, as Python's <c>Fernet.generate_key()</c>.</summary>
    public static string GenerateKey() => UrlSafeBase64.Encode(RandomNumberGenerator.GetBytes(Fernet.KeySize));

    /// <summary>A <see cref="MultiFernet"/> over these keys.</summary>
    /// <exception cref="InvalidOperationException">There are no keys.</exception>
    public MultiFernet CreateMultiFernet(TimeProvider timeProvider)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No database encryption keys are configured.");
        }

        return new MultiFernet(_keys.Select(key => new Fernet(key, timeProvider)));
    }

    public override string ToString() => Count == 1 ? "1 encryption key" : $"{Count} encryption keys";

    /// <summary>Splits on any of <paramref name="separators"/>, strips each part and drops empty ones.</summary>
    internal static EncryptionKeys ParseSeparated(string? text, params char[] separators) =>
        Parse((text ?? string.Empty).Split(separators, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static byte[] Normalize(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == Base64KeyLength
            && UrlSafeBase64.TryDecode(key, acceptStandardAlphabet: true, out var decoded)
            && decoded.Length == Fernet.KeySize)
        {
            return decoded;
        }

        if (key.Length == Fernet.KeySize && Ascii.IsValid(key))
        {
            return Encoding.ASCII.GetBytes(key);
        }

        throw new ConfigurationException(InvalidKeyMessage);
    }
}
