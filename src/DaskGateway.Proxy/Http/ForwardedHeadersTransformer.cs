using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace DaskGateway.Proxy.Http;

/// <summary>
/// YARP's default request copy (the target's host as <c>Host</c>), plus the usual reverse-proxy
/// headers: <c>X-Forwarded-For</c> (appended to), <c>-Proto</c>, <c>-Host</c> and <c>-Prefix</c>
/// (the path the route removed, so that a dashboard can build absolute links if it wants to).
/// </summary>
internal sealed class ForwardedHeadersTransformer : HttpTransformer
{
    public static readonly ForwardedHeadersTransformer Instance = new();

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
