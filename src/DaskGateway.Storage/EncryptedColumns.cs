using System.Text;
using DaskGateway.Storage.Encryption;

namespace DaskGateway.Storage;

/// <summary>
/// The two encrypted columns of protocol.md §4.8, as upstream writes them: <c>token</c> is the Fernet
/// token of the cluster token's UTF-8 bytes, <c>tls_credentials</c> that of <c>cert_pem + ";" + key_pem</c>.
/// </summary>
internal static class EncryptedColumns
{
    private const char TlsSeparator = ';';

    public static byte[] EncryptToken(MultiFernet encryption, string token)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        ArgumentNullException.ThrowIfNull(token);
        return encryption.Encrypt(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>Encrypts the certificate and key together; null when the cluster has none.</summary>
    /// <exception cref="ArgumentException">Only one of the two is given.</exception>
    public static byte[]? EncryptTlsCredentials(MultiFernet encryption, string? certificate, string? key)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (certificate is null && key is null)
        {
            return null;
        }

        if (certificate is null || key is null)
        {
            throw new ArgumentException("A cluster's TLS certificate and key are stored together or not at all.");
        }

        return encryption.Encrypt(Encoding.UTF8.GetBytes(certificate + TlsSeparator + key));
    }

    /// <summary>Decrypts either column; false when none of the keys made it.</summary>
    public static bool TryDecrypt(MultiFernet encryption, byte[] column, out string text)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        var decrypted = encryption.TryDecrypt(column, out var plaintext);
        text = decrypted ? Encoding.UTF8.GetString(plaintext) : string.Empty;
        return decrypted;
    }

    /// <summary>Splits decrypted TLS credentials at the first <c>;</c> (PEM has none).</summary>
    public static bool TrySplitTlsCredentials(string text, out string certificate, out string key)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.IndexOf(TlsSeparator, StringComparison.Ordinal);
        certificate = separator < 0 ? string.Empty : text[..separator];
        key = separator < 0 ? string.Empty : text[(separator + 1)..];
        return separator >= 0;
    }
}
