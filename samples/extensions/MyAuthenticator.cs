// A custom authenticator as one C# source file. Drop it into an extension directory (the config
// file's directory, `--extensions DIR`, or DASK_GATEWAY_EXTENSION_PATHS) and name it in the config:
//
//     c.DaskGateway.AuthenticatorClass = "MyAuthenticator";   // or "myauthenticator.MyAuthenticator"
//     c.MyAuthenticator.Realm = "corp";
//     c.MyAuthenticator.ApiKeys = new Dictionary<string, string> { ["alice"] = "alice-key" };
//     c.MyAuthenticator.Groups = new Dictionary<string, string> { ["alice"] = "scientists,staff" };
//
// Users send their name and API key as Basic credentials, as the Python client does with
// `Gateway(address, auth=BasicAuth("alice", "alice-key"))`. The same file is compiled into an
// assembly by samples/DaskGateway.Samples.CustomAuthenticator, for extension directories that
// hold *.dll files instead of sources.
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using DaskGateway.Auth;

/// <summary>Users and their API keys from the settings; groups per user.</summary>
public class MyAuthenticator : Authenticator
{
    /// <summary>The realm named in the challenge.</summary>
    public string Realm { get; set; } = "example";

    /// <summary>Each user's API key.</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>Each user's groups, comma-separated.</summary>
    public Dictionary<string, string> Groups { get; set; } = [];

    /// <inheritdoc/>
    public override string Challenge => $"Basic realm=\"{Realm}\"";

    /// <inheritdoc/>
    public override Task<User?> AuthenticateAsync(AuthenticationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || Decode(header.Parameter) is not (var name, var key)
            || !ApiKeys.TryGetValue(name, out var expected)
            || !SameSecret(key, expected))
        {
            return Task.FromResult<User?>(null);
        }

        var groups = Groups.TryGetValue(name, out var list)
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : null;
        return Task.FromResult<User?>(new User(name, groups));
    }

    private static (string Name, string Key)? Decode(string? credentials)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(credentials ?? ""));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? (text[..colon], text[(colon + 1)..]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Compares in constant time (hashing first, so that the lengths do not leak either).</summary>
    private static bool SameSecret(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
