using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaskGateway.Configuration;
using DaskGateway.Proxy;

namespace DaskGateway.Hosting;

/// <summary>The public entry point's settings: the <c>Proxy</c> section.</summary>
[ConfigSection("Proxy")]
public sealed class ProxySettings
{
    /// <summary>The environment variable that carries the route API token, as upstream's.</summary>
    public const string TokenVariable = "DASK_GATEWAY_PROXY_TOKEN";

    /// <summary>The public address users reach, <c>host:port</c>; an empty host listens on every interface.</summary>
    [Description("Public address users reach, host:port (empty host: every interface).")]
    public string Address { get; set; } = ":8000";

    /// <summary>A separate address for scheduler (TLS/SNI) traffic only; empty shares <see cref="Address"/>.</summary>
    [Description("Separate address for scheduler TLS traffic only, host:port; empty: shared with Address.")]
    public string TcpAddress { get; set; } = "";

    /// <summary>A path prefix the public address serves under, such as <c>/services/dask-gateway</c>.</summary>
    [Description("Path prefix of the public address, e.g. /services/dask-gateway (must start with /).")]
    public string Prefix { get; set; } = "";

    /// <summary>The token of the route API that standalone proxies follow.</summary>
    [Description("Token of the route API (GET /api/v1/routes) for standalone proxies; default: $DASK_GATEWAY_PROXY_TOKEN, else generated.")]
    public string ApiToken { get; set; } = "";

    /// <summary>How many route changes are kept for followers.</summary>
    [Description("Route changes kept for standalone proxies; one further behind reads the whole table again.")]
    [Range(2, 1_000_000)]
    public int MaxEvents { get; set; } = 100;

    /// <summary>A PEM certificate (chain) file: the public address then serves HTTPS.</summary>
    [Description("PEM certificate file for HTTPS on the public address (with TlsKey).")]
    public string TlsCert { get; set; } = "";

    /// <summary>The PEM private key file of <see cref="TlsCert"/>.</summary>
    [Description("PEM private key file for HTTPS on the public address (with TlsCert).")]
    public string TlsKey { get; set; } = "";

    /// <summary>The API server a standalone proxy (<c>dask-gateway-server proxy</c>) follows.</summary>
    [Description("URL of the API server that `dask-gateway-server proxy` follows, e.g. http://127.0.0.1:8001.")]
    public string GatewayUrl { get; set; } = "";

    /// <summary>How long a new connection has to send its first TLS record (or first HTTP bytes).</summary>
    [Description("Seconds a new public connection has to send its TLS ClientHello (or any HTTP).")]
    [Range(0.01, 3600.0)]
    public double HandshakeTimeout { get; set; } = 10;

    /// <summary>Whether the scheduler traffic has a listener of its own.</summary>
    internal bool HasSeparateTcpAddress => TcpAddress.Length > 0 && TcpAddress != Address;

    /// <summary>Problems of these settings, as (setting, message) pairs.</summary>
    internal IEnumerable<(string Setting, string Message)> Validate()
    {
        if (TcpAddress.Length > 0 && !ListenAddress.TryParse(TcpAddress, out _, out var error))
        {
            yield return (nameof(TcpAddress), error);
        }

        if (TlsCert.Length > 0 != TlsKey.Length > 0)
        {
            yield return (TlsCert.Length > 0 ? nameof(TlsKey) : nameof(TlsCert), "Must set both tls_cert and tls_key");
        }
        else if (TlsCert.Length > 0 && TryLoadCertificate(out var problem) is null)
        {
            yield return (nameof(TlsCert), problem);
        }

        if (GatewayUrl.Length > 0 && !(Uri.TryCreate(GatewayUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            yield return (nameof(GatewayUrl), $"'{GatewayUrl}' is not an http:// or https:// URL");
        }
    }

    /// <summary>The configured token, else <c>$DASK_GATEWAY_PROXY_TOKEN</c>, else a new random one (shared in this process only).</summary>
    internal string ResolveApiToken()
    {
        if (ApiToken.Length == 0)
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(TokenVariable);
            ApiToken = string.IsNullOrEmpty(fromEnvironment) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) : fromEnvironment;
        }

        return ApiToken;
    }

    /// <summary>The HTTPS certificate, or null (with the reason) when it cannot be loaded.</summary>
    internal X509Certificate2? TryLoadCertificate(out string problem)
    {
        problem = "";
        try
        {
            return X509Certificate2.CreateFromPemFile(TlsCert, TlsKey);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            problem = $"cannot load tls_cert '{TlsCert}' with tls_key '{TlsKey}': {e.Message}";
            return null;
        }
    }

    /// <summary>The options of the proxy's parts.</summary>
    internal ProxyOptions ToOptions() => new()
    {
        Prefix = Prefix.TrimEnd('/'),
        ApiToken = ResolveApiToken(),
        MaxEvents = MaxEvents,
        HandshakeTimeout = TimeSpan.FromSeconds(HandshakeTimeout),
    };
}
