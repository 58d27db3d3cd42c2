using System.Globalization;
using System.Security.Claims;
using DaskGateway.Auth;
using DaskGateway.Logging;

namespace DaskGateway.Api;

/// <summary>
/// The client's handshake (protocol.md §1.2) around the configured <see cref="Authenticator"/>:
/// a valid cookie is enough; otherwise the authenticator checks the request's credentials, a
/// failure is a 401 with the authenticator's challenge (a 502 when its identity service is down), and a
/// successful response carries a new cookie (and whatever headers the authenticator adds in
/// <see cref="Authenticator.PreResponseAsync"/>). The cookie is scoped to the API's path
/// (<c>&lt;Proxy.Prefix&gt;/api</c>, <c>/api</c> on the private listener) so that browsers never send it
/// to a dashboard under <c>/clusters/</c>, which runs code of the cluster's user.
/// </summary>
internal sealed partial class UserAuthentication
{
    private const string AuthenticationType = "DaskGateway";
    private readonly Authenticator _authenticator;
    private readonly AuthCookieCache _cookies;
    private readonly string _maxAge;
    private readonly string _publicPrefix;
    private readonly ILogger<UserAuthentication> _logger;

    public UserAuthentication(Authenticator authenticator, AuthCookieCache cookies, string cookieName, string publicPrefix, ILogger<UserAuthentication> logger)
    {
        _authenticator = authenticator;
        _cookies = cookies;
        CookieName = cookieName;
        _publicPrefix = publicPrefix;
        _logger = logger;
        _maxAge = ((long)(cookies.MaxAge.TotalSeconds * 2)).ToString(CultureInfo.InvariantCulture);
    }

    public string CookieName { get; }

    /// <summary>Authenticates the request, runs <paramref name="handler"/> for the user, and writes its response.</summary>
    public async Task HandleAsync(HttpContext context, Func<User, Task<ApiResponse>> handler)
    {
        AuthenticationRequest? request = null;
        if (!TryGetCookieUser(context, out var user))
        {
            request = new AuthenticationRequest(context);
            try
            {
                user = await _authenticator.AuthenticateAsync(request);
            }
            catch (AuthenticationException e)
            {
                await ChallengeAsync(context, e.Message);
                return;
            }
            catch (AuthenticationUnavailableException e)
            {
                LogAuthenticatorUnavailable(e, _authenticator.GetType().Name);
                await ApiResponse.WriteErrorAsync(context, StatusCodes.Status502BadGateway, e.Message);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogAuthenticatorFailed(e, _authenticator.GetType().Name);
                await ApiResponse.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Authentication failed with an internal error; see the gateway's log");
                return;
            }

            if (user is null)
            {
                await ChallengeAsync(context, "Authentication required");
                return;
            }

            var shownName = LogText.Escape(user.Name);
            LogAuthenticated(shownName);
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name)], AuthenticationType));
        var response = await handler(user);
        if (request is not null)
        {
            if (response.IsSuccess)
            {
                await _authenticator.PreResponseAsync(request, user);
                context.Response.Headers.Append("Set-Cookie", SetCookieValue(context, _cookies.Issue(user)));
            }

            // Also on an error: the Kerberos client fails with "Kerberos negotiation failed" on any
            // response to its credentials that lacks the server's token, hiding the real error.
            foreach (var (name, value) in request.ResponseHeaders)
            {
                context.Response.Headers[name] = value;
            }
        }

        await response.WriteAsync(context);
    }

    private string SetCookieValue(HttpContext context, string value)
    {
        // A standalone proxy reaches the private listener with the public request's prefix and
        // scheme in X-Forwarded-Prefix and -Proto. The prefix is taken only when it is the configured
        // one, so the path is always one of two the gateway chose; a false scheme costs only its sender.
        var proxied = !Hosting.GatewayHost.IsPublic(context);
        var forwardedPrefix = context.Request.Headers["X-Forwarded-Prefix"].ToString();
        var prefix = proxied ? (_publicPrefix.Length > 0 && forwardedPrefix == _publicPrefix ? _publicPrefix : "") : context.Request.PathBase.Value;
        var secure = context.Request.IsHttps
            || (proxied && string.Equals(context.Request.Headers["X-Forwarded-Proto"].ToString(), "https", StringComparison.OrdinalIgnoreCase));
        return $"{CookieName}={value}; Max-Age={_maxAge}; Path={prefix}/api; HttpOnly; SameSite=Lax{(secure ? "; Secure" : "")}";
    }

    private bool TryGetCookieUser(HttpContext context, out User user)
    {
        user = null!;
        return context.Request.Headers.Cookie.Count > 0
            && context.Request.Cookies.TryGetValue(CookieName, out var value)
            && value is not null
            && _cookies.TryGet(value, out user);
    }

    private Task ChallengeAsync(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = _authenticator.Challenge;
        return ApiResponse.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, message);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Debug, Message = "Authenticated user {UserName}")]
    private partial void LogAuthenticated(string userName);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Authenticator {Authenticator} failed")]
    private partial void LogAuthenticatorFailed(Exception exception, string authenticator);

    [LoggerMessage(EventId = 2090, Level = LogLevel.Warning, Message = "Authenticator {Authenticator} could not check credentials: its identity service is unavailable")]
    private partial void LogAuthenticatorUnavailable(Exception exception, string authenticator);
}
