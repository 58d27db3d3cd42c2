using System.ComponentModel;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Auth;

/// <summary>
/// The base class of every authenticator, built in or extension. Public settable properties of a
/// subclass are its settings (<c>c.MyAuthenticator.Realm = "corp"</c>).
/// </summary>
/// <remarks>
/// The gateway runs the client's handshake around this class: a request without a valid
/// cookie gets a 401 with <see cref="Challenge"/>; the client retries with credentials,
/// <see cref="AuthenticateAsync(AuthenticationRequest, CancellationToken)"/> checks them, and the success response sets a cookie that
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

    /// <summary>
    /// User names made admins, whatever the authenticator says (<c>c.SimpleAuthenticator.AdminUsers = ["alice"]</c>).
    /// Admins list every user's clusters (<c>?all=1</c>) and may view, scale, adapt and stop any of them,
    /// but never receive another user's TLS key.
    /// </summary>
    [Description("User names that are admins: they may list (?all=1), view, scale, adapt and stop every user's clusters.")]
    public IReadOnlyList<string> AdminUsers { get; set; } = [];

    /// <summary>Groups whose members are admins (for authenticators that report groups).</summary>
    [Description("Groups whose members are admins (for authenticators that report groups, e.g. JupyterHub).")]
    public IReadOnlyList<string> AdminGroups { get; set; } = [];

    /// <summary>
    /// <paramref name="user"/>, made an admin when <see cref="AdminUsers"/> or <see cref="AdminGroups"/>
    /// name it; a user the authenticator made an admin stays one. The gateway applies this to every
    /// authenticated user.
    /// </summary>
    public User WithAdminSettings(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Admin || !(AdminUsers.Contains(user.Name) || (user.Groups is { } groups && AdminGroups.Any(groups.Contains))) ? user : user with { Admin = true };
    }

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
    /// <remarks>
    /// The gateway calls this overload, with the request's <see cref="HttpContext.RequestAborted"/>, which
    /// an authenticator that asks another service passes on. Override this one, or (as extensions written
    /// before it existed do) <see cref="AuthenticateAsync(AuthenticationRequest)"/>, which this one calls by default.
    /// </remarks>
    public virtual Task<User?> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken) => AuthenticateAsync(request);

    /// <summary>
    /// Checks the request's credentials without a cancellation token; see
    /// <see cref="AuthenticateAsync(AuthenticationRequest, CancellationToken)"/> for what to return or throw.
    /// By default, calls that overload (with <see cref="CancellationToken.None"/>) when the subclass overrides it.
    /// </summary>
    /// <exception cref="NotImplementedException">The subclass overrides neither overload.</exception>
    public virtual Task<User?> AuthenticateAsync(AuthenticationRequest request) =>
        OverridesCancellableAuthenticate()
            ? AuthenticateAsync(request, CancellationToken.None)
            : throw new NotImplementedException(
                $"{GetType().FullName} must override AuthenticateAsync(AuthenticationRequest, CancellationToken) or AuthenticateAsync(AuthenticationRequest)");

    /// <summary>Called after the request succeeded, before the response is sent.</summary>
    public virtual Task PreResponseAsync(AuthenticationRequest request, User user) => Task.CompletedTask;

    // The one-argument default calls the other overload only when a subclass overrides that one, so
    // that a subclass overriding neither gets an error that says so instead of endless recursion.
    private bool OverridesCancellableAuthenticate() =>
        GetType().GetMethod(nameof(AuthenticateAsync), [typeof(AuthenticationRequest), typeof(CancellationToken)])!.DeclaringType != typeof(Authenticator);
}
