using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaskGateway.Auth;

/// <summary>The name of the authentication cookie the handler honours.</summary>
internal sealed class GatewayAuthenticationOptions : AuthenticationSchemeOptions
{
    public string CookieName { get; set; } = "";
}

/// <summary>
/// The ASP.NET Core authentication scheme of the API (protocol.md §1.2): a cookie the gateway issued
/// within <see cref="Authenticator.CacheMaxAge"/> is enough; otherwise the configured
/// <see cref="Authenticator"/> checks the request's credentials. A refusal or an error of the
/// authenticator is a failed result that carries its exception, for the caller to answer (401, 502
/// or 500); the challenge is a 401 with <see cref="Authenticator.Challenge"/>.
/// </summary>
internal sealed class GatewayAuthenticationHandler(
    IOptionsMonitor<GatewayAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    Authenticator authenticator,
    AuthCookieCache cookies)
    : AuthenticationHandler<GatewayAuthenticationOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "DaskGateway";
    private const string UserKey = "DaskGateway.User";
    private const string RequestKey = "DaskGateway.AuthenticationRequest";

    /// <summary>The user of a successful result.</summary>
    public static User GetUser(AuthenticateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Properties?.GetParameter<User>(UserKey) ?? throw new InvalidOperationException("Not a successful result of the gateway's authentication");
    }

    /// <summary>
    /// The request the authenticator accepted, for its <see cref="Authenticator.PreResponseAsync"/> and
    /// response headers; null when a cookie authenticated the user.
    /// </summary>
    public static AuthenticationRequest? GetAcceptedRequest(AuthenticateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Properties?.GetParameter<AuthenticationRequest>(RequestKey);
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers.Cookie.Count > 0
            && Request.Cookies.TryGetValue(Options.CookieName, out var value)
            && value is not null
            && cookies.TryGet(value, out var cached))
        {
            return Success(cached, null);
        }

        var request = new AuthenticationRequest(Context);
        User? user;
        try
        {
            user = await authenticator.AuthenticateAsync(request, Context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return AuthenticateResult.Fail(e);
        }

        return user is null ? AuthenticateResult.NoResult() : Success(authenticator.WithAdminSettings(user), request);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = authenticator.Challenge;
        return Task.CompletedTask;
    }

    private AuthenticateResult Success(User user, AuthenticationRequest? request)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user.Name)], SchemeName));
        var properties = new AuthenticationProperties();
        properties.SetParameter(UserKey, user);
        properties.SetParameter(RequestKey, request);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }
}
