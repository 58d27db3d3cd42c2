using System.Net;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Auth;

/// <summary>
/// What an <see cref="Authenticator"/> sees of an HTTP request, and the headers it may add to
/// the successful response.
/// </summary>
public sealed class AuthenticationRequest
{
    /// <summary>Wraps an ASP.NET Core request.</summary>
    public AuthenticationRequest(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        HttpContext = httpContext;
    }

    /// <summary>The request headers.</summary>
    public IHeaderDictionary Headers => HttpContext.Request.Headers;

    /// <summary>The request cookies.</summary>
    public IRequestCookieCollection Cookies => HttpContext.Request.Cookies;

    /// <summary>The query string parameters.</summary>
    public IQueryCollection Query => HttpContext.Request.Query;

    /// <summary>The request path as the gateway's API sees it (any proxy prefix removed).</summary>
    public string Path => HttpContext.Request.Path.Value ?? "/";

    /// <summary>The address of the peer, when known.</summary>
    public IPAddress? RemoteIpAddress => HttpContext.Connection.RemoteIpAddress;

    /// <summary>
    /// Headers sent with the response once the authenticator has accepted the request, whatever the
    /// status the request then gets (for example the <c>WWW-Authenticate: Negotiate &lt;token&gt;</c> of
    /// mutual Kerberos authentication, which the Python client requires on every response to its
    /// credentials, a 404 included). Not sent when the request is rejected.
    /// </summary>
    public IHeaderDictionary ResponseHeaders { get; } = new HeaderDictionary();

    /// <summary>The underlying ASP.NET Core context, for what the properties above do not cover.</summary>
    public HttpContext HttpContext { get; }
}
