using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace DaskGateway.Proxy.Http;

/// <summary>
/// YARP's default request copy (the target's host as <c>Host</c>), plus the usual reverse-proxy
/// headers: <c>X-Forwarded-For</c> (appended to), <c>-Proto</c>, <c>-Host</c> and <c>-Prefix</c>
/// (the path the route removed, so that a dashboard can build absolute links if it wants to).
/// Towards a dashboard, which runs code of the cluster's user, the user's credentials are withheld:
/// no <c>Authorization</c> header, no gateway cookie, and no <c>Set-Cookie</c> of the gateway's
/// cookie passes back.
/// </summary>
internal sealed class ForwardedHeadersTransformer : HttpTransformer
{
    /// <summary>Towards the gateway's API: every header passes, credentials included.</summary>
    public static readonly ForwardedHeadersTransformer Api = new(null);

    private readonly GatewayCookie? _withheldCookie;

    private ForwardedHeadersTransformer(GatewayCookie? withheldCookie) => _withheldCookie = withheldCookie;

    /// <summary>Towards a dashboard: the user's credentials for the gateway stay behind.</summary>
    public static ForwardedHeadersTransformer Dashboard(GatewayCookie gatewayCookie) => new(gatewayCookie);

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;
        var headers = proxyRequest.Headers;

        // The target sees its own host (upstream's proxy does the same); the original is X-Forwarded-Host.
        headers.Host = null;
        if (httpContext.Connection.RemoteIpAddress is { } remote)
        {
            var existing = request.Headers["X-Forwarded-For"].ToString();
            headers.Remove("X-Forwarded-For");
            headers.TryAddWithoutValidation("X-Forwarded-For", existing.Length > 0 ? existing + ", " + remote : remote.ToString());
        }

        Set(headers, "X-Forwarded-Proto", request.Scheme);
        Set(headers, "X-Forwarded-Host", request.Host.Value);
        Set(headers, "X-Forwarded-Prefix", request.PathBase.Value);
        if (_withheldCookie is not null)
        {
            headers.Authorization = null;
            Set(headers, "Cookie", request.Headers.Cookie.Count == 0 ? null : _withheldCookie.RemoveFrom(string.Join("; ", request.Headers.Cookie.ToArray())));
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        var headers = httpContext.Response.Headers;
        if (_withheldCookie is not null && headers.SetCookie.Any(value => value is not null && _withheldCookie.IsSetBy(value)))
        {
            headers.SetCookie = new StringValues([.. headers.SetCookie.Where(value => value is not null && !_withheldCookie.IsSetBy(value))]);
        }

        return proceed;
    }

    private static void Set(System.Net.Http.Headers.HttpRequestHeaders headers, string name, string? value)
    {
        headers.Remove(name);
        if (!string.IsNullOrEmpty(value))
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }
}
