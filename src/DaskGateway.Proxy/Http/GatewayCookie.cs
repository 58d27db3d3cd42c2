using System.Buffers;

namespace DaskGateway.Proxy.Http;

/// <summary>
/// Recognises the gateway's authentication cookie so that dashboards, which run code of the
/// cluster's user, never receive it and can never set it. The name is the configured one
/// (<c>Authenticator.CookieName</c>) or, since a gateway picks a random name per process when none
/// is configured, any name of that random form (<c>dask-gateway-</c> and 32 hex digits).
/// </summary>
internal sealed class GatewayCookie
{
    /// <summary>The prefix of the random per-process cookie name.</summary>
    public const string RandomNamePrefix = "dask-gateway-";

    private const int RandomNameHexDigits = 32;
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");
    private readonly string _configuredName;

    /// <param name="configuredName">The configured cookie name, or empty when the gateway picks a random one.</param>
    public GatewayCookie(string configuredName) => _configuredName = configuredName;

    /// <summary>A new random cookie name, of the form <see cref="IsName"/> recognises without configuration.</summary>
    public static string NewRandomName() => RandomNamePrefix + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Whether <paramref name="name"/> is the gateway's cookie. Case is ignored: browsers keep
    /// names differing in case apart, but ASP.NET Core reads request cookies case-insensitively,
    /// so a look-alike set by a dashboard could otherwise stand in for the gateway's.
    /// </summary>
    public bool IsName(ReadOnlySpan<char> name) =>
        (_configuredName.Length > 0 && name.Equals(_configuredName, StringComparison.OrdinalIgnoreCase)) || IsRandomName(name);

    /// <summary>
    /// A <c>Cookie</c> request header (RFC 6265 §5.4: <c>name=value</c> pairs separated by
    /// <c>;</c>) without the gateway's cookie; <see langword="null"/> when nothing else is left.
    /// </summary>
    public string? RemoveFrom(string cookieHeader)
    {
        var kept = new List<string>();
        foreach (var pair in cookieHeader.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IsName(NameOf(pair)))
            {
                kept.Add(pair);
            }
        }

        return kept.Count == 0 ? null : string.Join("; ", kept);
    }

    /// <summary>Whether a <c>Set-Cookie</c> response header value (RFC 6265 §4.1) sets the gateway's cookie.</summary>
    public bool IsSetBy(string setCookieHeader) => IsName(NameOf(setCookieHeader.AsSpan().Trim()));

    private static ReadOnlySpan<char> NameOf(ReadOnlySpan<char> pair)
    {
        var equals = pair.IndexOf('=');
        return (equals < 0 ? pair : pair[..equals]).Trim();
    }

    private static bool IsRandomName(ReadOnlySpan<char> name) =>
        name.Length == RandomNamePrefix.Length + RandomNameHexDigits
        && name.StartsWith(RandomNamePrefix, StringComparison.OrdinalIgnoreCase)
        && !name[RandomNamePrefix.Length..].ContainsAnyExcept(HexDigits);
}
