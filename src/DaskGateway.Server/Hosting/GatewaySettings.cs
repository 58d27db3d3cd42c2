using System.ComponentModel;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Configuration;

namespace DaskGateway.Hosting;

/// <summary>The gateway's own settings: the <c>DaskGateway</c> section.</summary>
[ConfigSection("DaskGateway")]
public sealed class GatewaySettings
{
    /// <summary>The private API address (schedulers and standalone proxies), <c>host:port</c>; port 0 picks a free port.</summary>
    [Description("Private API address, host:port (port 0 picks a free port); schedulers heartbeat here.")]
    public string Address { get; set; } = "127.0.0.1:0";

    /// <summary>The authenticator class.</summary>
    [Description("Authenticator class: a type, a type name, or an alias (simple, kerberos, jupyterhub).")]
    [ClassSetting(typeof(Authenticator))]
    public Type AuthenticatorClass { get; set; } = typeof(SimpleAuthenticator);

    /// <summary>The backend class.</summary>
    [Description("Backend class: a type, a type name, or an alias (unsafe-local, local).")]
    [ClassSetting(typeof(Backend))]
    public Type BackendClass { get; set; } = typeof(UnsafeLocalBackend);

    /// <summary>The log level: DEBUG, INFO, WARN or ERROR.</summary>
    [Description("Log level: DEBUG, INFO, WARN or ERROR.")]
    public string LogLevel { get; set; } = "INFO";

    /// <summary>The largest request body accepted, in bytes.</summary>
    [Description("Largest request body accepted, in bytes; larger ones are answered 413.")]
    [System.ComponentModel.DataAnnotations.Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBodySize { get; set; } = 1024 * 1024;

    /// <summary>The token operators' tools (<c>dask-gateway-server admin</c>) send to the private API; empty: off.</summary>
    [Description("Token that authenticates as an admin on the private API only (Authorization: token <value>), for dask-gateway-server admin; at least 32 characters. Empty: taken from DASK_GATEWAY_ADMIN_API_TOKEN; unset there too: no admin token.")]
    public string AdminApiToken { get; set; } = "";

    /// <summary>The environment variable <see cref="AdminApiToken"/> is read from when not set.</summary>
    public const string AdminApiTokenVariable = "DASK_GATEWAY_ADMIN_API_TOKEN";

    /// <summary>The shortest admin token accepted: long enough that guessing it is hopeless.</summary>
    public const int MinAdminApiTokenLength = 32;

    /// <summary>Whether <paramref name="value"/> can be a token in an <c>Authorization</c> header: printable ASCII, no spaces, not empty.</summary>
    internal static bool IsTokenText(string value) => value.Length > 0 && value.All(c => c is > ' ' and <= '~');

    /// <summary><see cref="AdminApiToken"/>, or the environment's when unset.</summary>
    internal string ResolveAdminApiToken()
    {
        if (AdminApiToken.Length == 0)
        {
            AdminApiToken = Environment.GetEnvironmentVariable(AdminApiTokenVariable)?.Trim() ?? "";
        }

        return AdminApiToken;
    }
}
