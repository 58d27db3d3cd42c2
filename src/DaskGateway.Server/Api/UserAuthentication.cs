using System.Globalization;
using DaskGateway.Auth;
using DaskGateway.Hosting;
using DaskGateway.Logging;
using Microsoft.AspNetCore.Authentication;

namespace DaskGateway.Api;

/// <summary>
/// The client's handshake (protocol.md §1.2) around the configured <see cref="Authenticator"/>, which
/// the <see cref="GatewayAuthenticationHandler"/> scheme runs: a valid cookie is enough; otherwise the
/// authenticator checks the request's credentials, a failure is a 401 with the authenticator's challenge (a 502 when its identity service is down), and a
/// successful response carries a new cookie (and whatever headers the authenticator adds in
/// <see cref="Authenticator.PreResponseAsync"/>). The cookie is scoped to the API's path
/// (<c>&lt;Proxy.Prefix&gt;/api</c>, <c>/api</c> on the private listener) so that browsers never send it
/// to a dashboard under <c>/clusters/</c>, which runs code of the cluster's user.
/// </summary>
internal sealed partial class UserAuthentication
{
    private readonly Authenticator _authenticator;
    private readonly AuthCookieCache _cookies;
    private readonly string _maxAge;
    private readonly string _publicPrefix;
    private readonly string _adminApiToken;
    private readonly ILogger<UserAuthentication> _logger;

    public UserAuthentication(Authenticator authenticator, AuthCookieCache cookies, string cookieName, string publicPrefix, string adminApiToken, ILogger<UserAuthentication> logger)
    {
        _authenticator = authenticator;
        _cookies = cookies;
        CookieName = cookieName;
        _publicPrefix = publicPrefix;
        _adminApiToken = adminApiToken;
        _logger = logger;
        _maxAge = ((long)(cookies.MaxAge.TotalSeconds * 2)).ToString(CultureInfo.InvariantCulture);
    }

    public string CookieName { get; }

    /// <summary>The user the admin API token authenticates as; events of clusters it acts on name it.</summary>
    public static readonly User AdminApiUser = new("admin-api", Admin: true);

    /// <summary>Authenticates the request, runs <paramref name="handler"/> for the user, and writes its response.</summary>
    public async Task HandleAsync(HttpContext context, Func<User, Task<ApiResponse>> handler)
    {
        if (IsAdminApiToken(context))
        {
            await (await handler(AdminApiUser)).WriteAsync(context);
            return;
        }

        var result = await context.AuthenticateAsync(GatewayAuthenticationHandler.SchemeName);
        switch (result.Failure)
        {
            case null:
                break;
            case AuthenticationException e:
                await ChallengeAsync(context, e.Message);
                return;
            case AuthenticationUnavailableException e:
                LogAuthenticatorUnavailable(e, _authenticator.GetType().Name);
                await ApiResponse.WriteErrorAsync(context, StatusCodes.Status502BadGateway, e.Message);
                return;
            case var e:
                LogAuthenticatorFailed(e, _authenticator.GetType().Name);
                await ApiResponse.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Authentication failed with an internal error; see the gateway's log");
                return;
        }

        if (!result.Succeeded)
        {
            await ChallengeAsync(context, "Authentication required");
            return;
        }

        var user = GatewayAuthenticationHandler.GetUser(result);
        var request = GatewayAuthenticationHandler.GetAcceptedRequest(result);
        if (request is not null)
        {
            var shownName = LogText.Escape(user.Name);
            LogAuthenticated(shownName);
        }

        context.User = result.Principal;
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

    private static async Task ChallengeAsync(HttpContext context, string message)
    {
        await context.ChallengeAsync(GatewayAuthenticationHandler.SchemeName);
        await ApiResponse.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, message);
    }

    [LoggerMessage(EventId = GatewayEventIds.UserAuthenticationAuthenticated, Level = LogLevel.Debug, Message = "Authenticated user {UserName}")]
    private partial void LogAuthenticated(string userName);

    [LoggerMessage(EventId = GatewayEventIds.UserAuthenticationAuthenticatorFailed, Level = LogLevel.Error, Message = "Authenticator {Authenticator} failed")]
    private partial void LogAuthenticatorFailed(Exception exception, string authenticator);

    [LoggerMessage(EventId = GatewayEventIds.UserAuthenticationAuthenticatorUnavailable, Level = LogLevel.Warning, Message = "Authenticator {Authenticator} could not check credentials: its identity service is unavailable")]
    private partial void LogAuthenticatorUnavailable(Exception exception, string authenticator);

    // The admin token is honoured on the private listener only, which operators' tools reach from
    // inside the deployment; on the public one the header goes to the authenticator as any other.
    private bool IsAdminApiToken(HttpContext context)
    {
        if (_adminApiToken.Length == 0 || GatewayHost.IsPublic(context))
        {
            return false;
        }

        try
        {
            return AuthorizationHeader.TryGetToken(context.Request.Headers.Authorization.ToString(), out var token)
                && AuthorizationHeader.SecretEquals(_adminApiToken, token);
        }
        catch (AuthenticationException)
        {
            // "token" with nothing after it is no admin token; the authenticator answers it as before.
            return false;
        }
    }
}
