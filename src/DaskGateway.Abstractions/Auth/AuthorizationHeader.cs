using System.Security.Cryptography;
using System.Text;

namespace DaskGateway.Auth;

/// <summary>
/// Reads the credentials of an <c>Authorization: &lt;scheme&gt; &lt;credentials&gt;</c> header, as the
/// built-in authenticators do: pass <c>request.Headers.Authorization.ToString()</c>. Every method
/// returns <see langword="false"/> when the header names another scheme or is empty (the request
/// carries no credentials for this authenticator: answer <see langword="null"/>, a 401 with the
/// challenge), and throws <see cref="AuthenticationException"/> (also a 401, with its message) when
/// the scheme matches but the credentials are malformed.
/// </summary>
public static class AuthorizationHeader
{
    /// <summary>
    /// The credentials after <paramref name="scheme"/> (matched case-insensitively), trimmed.
    /// <paramref name="what"/> names the credentials in the error for a header that holds the scheme alone
    /// (<c>Malformed &lt;what&gt; credentials: no token</c>).
    /// </summary>
    /// <exception cref="AuthenticationException">The scheme matches but no credentials follow it.</exception>
    public static bool TryGetCredentials(string header, string scheme, string what, out string credentials)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        credentials = "";
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (!(space < 0 ? header : header[..space]).Equals(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        credentials = space < 0 ? "" : header[(space + 1)..].Trim();
        return credentials.Length > 0 ? true : throw new AuthenticationException($"Malformed {what} credentials: no token");
    }

    /// <summary>Reads <c>Bearer &lt;token&gt;</c> (OAuth 2.0 and most identity services).</summary>
    /// <exception cref="AuthenticationException">The scheme is Bearer but no token follows it.</exception>
    public static bool TryGetBearerToken(string header, out string token) => TryGetCredentials(header, "Bearer", "Bearer", out token);

    /// <summary>Reads <c>token &lt;token&gt;</c> (the form JupyterHub and the gateway's own cluster tokens use).</summary>
    /// <exception cref="AuthenticationException">The scheme is token but no token follows it.</exception>
    public static bool TryGetToken(string header, out string token) => TryGetCredentials(header, "token", "token", out token);

    /// <summary>
    /// Reads <c>Basic base64(user:password)</c> (RFC 7617): an ASCII user name, which is not empty and has
    /// no control characters, and a password, which may be empty.
    /// </summary>
    /// <exception cref="AuthenticationException">The scheme is Basic but the credentials are malformed; the message says how.</exception>
    public static bool TryGetBasicCredentials(string header, out string userName, out string password)
    {
        if (!TryReadBasic(header, out userName, out password, out var problem))
        {
            return problem is null ? false : throw new AuthenticationException(problem);
        }

        return true;
    }

    /// <summary>
    /// Compares a secret the request gave with the expected one in a time that depends on neither
    /// (both are hashed first, so not even their lengths leak): use it for passwords and API tokens
    /// instead of <c>==</c>.
    /// </summary>
    public static bool SecretEquals(string expected, string actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(actual)));
    }

    /// <summary>
    /// <paramref name="problem"/> is null when there are no Basic credentials at all, else it says what
    /// is wrong with them.
    /// </summary>
    private static bool TryReadBasic(string header, out string userName, out string password, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(header);
        userName = password = "";
        problem = null;
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || !header.AsSpan(0, space).Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = header.AsSpan(space + 1).Trim();
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var length))
        {
            problem = "Malformed Basic credentials: not base64";
            return false;
        }

        if (!Ascii.IsValid(buffer.AsSpan(0, length)))
        {
            problem = "Malformed Basic credentials: the user name and password must be ASCII";
            return false;
        }

        var decoded = Encoding.ASCII.GetString(buffer, 0, length);
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            problem = colon < 0 ? "Malformed Basic credentials: no ':' between user name and password" : "Malformed Basic credentials: empty user name";
            return false;
        }

        userName = decoded[..colon];
        password = decoded[(colon + 1)..];
        if (userName.Any(char.IsControl))
        {
            problem = "Malformed Basic credentials: control characters in the user name";
            return false;
        }

        return true;
    }
}
