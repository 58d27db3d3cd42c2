using System.Buffers.Binary;
using System.Security.Cryptography;

namespace DaskGateway.Storage.Encryption;

/// <summary>
/// The Fernet token format (https://github.com/fernet/spec), byte for byte what Python's
/// <c>cryptography.fernet.Fernet</c> makes and reads, so that upstream's encrypted columns stay
/// readable. A token is URL-safe base64 (with padding) of: version 0x80, a 64-bit big-endian
/// timestamp in seconds, a 16-byte IV, the AES-128-CBC ciphertext (PKCS7 padding), and an
/// HMAC-SHA256 of everything before it. The 32-byte key is the signing key (first 16 bytes) then the
/// encryption key (last 16). Tokens are not checked against a time to live: upstream uses none.
/// </summary>
internal sealed class Fernet
{
    /// <summary>The length of a Fernet key in bytes.</summary>
    public const int KeySize = 32;

    private const byte Version = 0x80;
    private const int BlockSize = 16;
    private const int IvOffset = 1 + sizeof(ulong);
    private const int HeaderSize = IvOffset + BlockSize;
    private const int MacSize = 32;

    private readonly byte[] _signingKey;
    private readonly byte[] _encryptionKey;
    private readonly TimeProvider _timeProvider;

    public Fernet(ReadOnlySpan<byte> key, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (key.Length != KeySize)
        {
            throw new ArgumentException("A Fernet key is 32 bytes.", nameof(key));
        }

        _signingKey = key[..(KeySize / 2)].ToArray();
        _encryptionKey = key[(KeySize / 2)..].ToArray();
        _timeProvider = timeProvider;
    }

    /// <summary>Makes a Fernet from a key in URL-safe base64, as Python's <c>Fernet(key)</c>.</summary>
    public Fernet(string key, TimeProvider timeProvider)
        : this(DecodeKey(key), timeProvider)
    {
    }

    /// <summary>Encrypts with a random IV and the current time; the token is ASCII.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext)
    {
        Span<byte> iv = stackalloc byte[BlockSize];
        RandomNumberGenerator.Fill(iv);
        return Encrypt(plaintext, iv, _timeProvider.GetUtcNow());
    }

    /// <summary>Encrypts with the given 16-byte IV and timestamp (for test vectors); the token is ASCII.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> iv, DateTimeOffset timestamp)
    {
        if (iv.Length != BlockSize)
        {
            throw new ArgumentException("A Fernet IV is 16 bytes.", nameof(iv));
        }

        var seconds = timestamp.ToUnixTimeSeconds();
        ArgumentOutOfRangeException.ThrowIfNegative(seconds, nameof(timestamp));

        using var aes = CreateAes();
        var ciphertextLength = aes.GetCiphertextLengthCbc(plaintext.Length, PaddingMode.PKCS7);
        var macOffset = HeaderSize + ciphertextLength;
        var data = new byte[macOffset + MacSize];
        data[0] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(data.AsSpan(1, sizeof(ulong)), (ulong)seconds);
        iv.CopyTo(data.AsSpan(IvOffset, BlockSize));
        aes.EncryptCbc(plaintext, iv, data.AsSpan(HeaderSize, ciphertextLength), PaddingMode.PKCS7);
        HMACSHA256.HashData(_signingKey, data.AsSpan(0, macOffset), data.AsSpan(macOffset));
        return UrlSafeBase64.EncodeToAscii(data);
    }

    /// <summary>Decrypts an ASCII token; false for anything that is not a valid token for this key.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> token, out byte[] plaintext) => TryDecryptData(DecodeToken(token), out plaintext);

    /// <summary>Decrypts a token; false for anything that is not a valid token for this key.</summary>
    public bool TryDecrypt(ReadOnlySpan<char> token, out byte[] plaintext) => TryDecryptData(DecodeToken(token), out plaintext);

    /// <summary>The bytes of a token, or none when it is not strict URL-safe base64.</summary>
    internal static byte[] DecodeToken(ReadOnlySpan<byte> token) =>
        UrlSafeBase64.TryDecode(token, acceptStandardAlphabet: false, out var data) ? data : [];

    /// <inheritdoc cref="DecodeToken(ReadOnlySpan{byte})"/>
    internal static byte[] DecodeToken(ReadOnlySpan<char> token) =>
        UrlSafeBase64.TryDecode(token, acceptStandardAlphabet: false, out var data) ? data : [];

    /// <summary>Decrypts a token already decoded from base64; the MAC is checked before anything is decrypted.</summary>
    internal bool TryDecryptData(ReadOnlySpan<byte> data, out byte[] plaintext)
    {
        plaintext = [];
        var ciphertextLength = data.Length - HeaderSize - MacSize;
        if (ciphertextLength < BlockSize || ciphertextLength % BlockSize != 0 || data[0] != Version)
        {
            return false;
        }

        var macOffset = HeaderSize + ciphertextLength;
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(_signingKey, data[..macOffset], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, data[macOffset..]))
        {
            return false;
        }

        using var aes = CreateAes();
        try
        {
            plaintext = aes.DecryptCbc(data.Slice(HeaderSize, ciphertextLength), data.Slice(IvOffset, BlockSize), PaddingMode.PKCS7);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static byte[] DecodeKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!UrlSafeBase64.TryDecode(key, acceptStandardAlphabet: false, out var bytes) || bytes.Length != KeySize)
        {
            throw new ArgumentException("A Fernet key must be 32 bytes, URL-safe base64-encoded.", nameof(key));
        }

        return bytes;
    }

    private Aes CreateAes()
    {
        var aes = Aes.Create();
        aes.Key = _encryptionKey;
        return aes;
    }
}
