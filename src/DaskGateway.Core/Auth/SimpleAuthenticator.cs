using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using DaskGateway.Configuration;

namespace DaskGateway.Auth;

/// <summary>
/// HTTP Basic authentication: any user name, and a password shared by everybody when
/// <see cref="Password"/> is set. Meant for trying the gateway out and for tests.
/// </summary>
[ClassAlias("simple")]
[ClassAlias("dask_gateway_server.auth.SimpleAuthenticator")]
public sealed class SimpleAuthenticator : Authenticator
{
    /// <summary>The password every user must give; when null any password is accepted.</summary>
    [Description("Password shared by all users; when None, any password is accepted.")]
    public string? Password { get; set; }

    /// <inheritdoc/>
    public override Task<User?> AuthenticateAsync(AuthenticationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryReadBasicCredentials(request.Headers.Authorization.ToString(), out var userName, out var password, out var problem))
        {
            return problem is null ? Task.FromResult<User?>(null) : throw new AuthenticationException(problem);
        }

        if (Password is { } expected && !FixedTimeEquals(expected, password))
        {
            throw new AuthenticationException("Invalid user name or password");
        }

        return Task.FromResult<User?>(new User(userName));
    }

    /// <summary>
    /// Reads <c>Basic base64(user:password)</c>. <paramref name="problem"/> is null when there are
    /// no Basic credentials at all, else it says what is wrong with them (upstream answers these with a 500).
    /// </summary>
    internal static bool TryReadBasicCredentials(string header, out string userName, out string password, out string? problem)
    {
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

    private static bool FixedTimeEquals(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(actual)));
}
