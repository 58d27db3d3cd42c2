namespace DaskGateway.Auth;

/// <summary>Reads <c>Authorization: &lt;scheme&gt; &lt;credentials&gt;</c> headers.</summary>
internal static class AuthorizationHeader
{
    /// <summary>
    /// The credentials after <paramref name="scheme"/> (matched case-insensitively), trimmed; false
    /// when the header names another scheme or none. <paramref name="what"/> names the credentials
    /// in the error for a header that holds the scheme alone.
    /// </summary>
    /// <exception cref="AuthenticationException">The scheme matches but no credentials follow it.</exception>
    public static bool TryGetCredentials(string header, string scheme, string what, out string credentials)
    {
        credentials = "";
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (!(space < 0 ? header : header[..space]).Equals(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        credentials = space < 0 ? "" : header[(space + 1)..].Trim();
        return credentials.Length > 0 ? true : throw new AuthenticationException($"Malformed {what} credentials: no token");
    }
}
