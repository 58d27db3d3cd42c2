// An operator's authenticator, as dropped into the chart's extensions/gateway/: a site's portal
// puts the user's API key in a header of its own.
using DaskGateway.Auth;

/// <summary>Users found by their API key, from the settings.</summary>
public class SiteAuthenticator : Authenticator
{
    /// <summary>The realm named in the challenge.</summary>
    public string Realm { get; set; } = "site";

    /// <summary>Each user's API key (user name to key).</summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>Seconds a key is trusted without asking again (a number setting, from the chart's JSON).</summary>
    public int TokenLifetime { get; set; } = 60;

    /// <inheritdoc/>
    public override string Challenge => $"SiteKey realm=\"{Realm}\"";

    /// <inheritdoc/>
    public override Task<User?> AuthenticateAsync(AuthenticationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.Headers["X-Site-Key"].ToString();
        var user = ApiKeys.FirstOrDefault(entry => key.Length > 0 && entry.Value == key).Key;
        return Task.FromResult(user is null ? null : new User(user));
    }
}
