using System.ComponentModel;

namespace DaskGateway.Auth;

/// <summary>
/// The base class of every authenticator, built in or extension. Public settable properties of a
/// subclass are its settings (<c>c.MyAuthenticator.Realm = "corp"</c>).
/// </summary>
/// <remarks>
/// The gateway runs the client's handshake around this class: a request without a valid
/// cookie gets a 401 with <see cref="Challenge"/>; the client retries with credentials,
/// <see cref="AuthenticateAsync"/> checks them, and the success response sets a cookie that
/// is honoured for <see cref="CacheMaxAge"/> seconds without calling the authenticator again.
/// </remarks>
public abstract class Authenticator
{
    /// <summary>The name of the authentication cookie; random per process when empty.</summary>
    [Description("Name of the authentication cookie (random per process when empty).")]
    public string CookieName { get; set; } = "";

    /// <summary>Seconds an authenticated user's cookie is honoured; the cookie's Max-Age is twice this.</summary>
    [Description("Seconds an authentication cookie is honoured before the client must re-authenticate.")]
    public int CacheMaxAge { get; set; } = 300;

    /// <summary>The <c>WWW-Authenticate</c> value sent with a 401.</summary>
    public virtual string Challenge => "Basic";

    /// <summary>Called once before the gateway listens.</summary>
    public virtual Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once when the gateway shuts down.</summary>
    public virtual Task CleanupAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Checks the request's credentials. Returns the user, or <see langword="null"/> (or throws
    /// <see cref="AuthenticationException"/>) to answer 401; throws
    /// <see cref="AuthenticationUnavailableException"/> to answer 502 when the service that checks
    /// credentials cannot answer. Any other exception is a 500.
    /// </summary>
    public abstract Task<User?> AuthenticateAsync(AuthenticationRequest request);

    /// <summary>Called after the request succeeded, before the response is sent.</summary>
    public virtual Task PreResponseAsync(AuthenticationRequest request, User user) => Task.CompletedTask;
}
