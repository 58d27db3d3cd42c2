using System.Globalization;
using System.Text;
using DaskGateway.Auth;

namespace DaskGateway.Hosting;

/// <summary>What the gateway prints once it listens: its addresses and how a user connects.</summary>
internal static class StartupBanner
{
    public static string Format(GatewayComponents components, Uri publicAddress, Uri privateAddress)
    {
        var version = typeof(StartupBanner).Assembly.GetName().Version?.ToString(3);
        var userAddress = publicAddress.Host == "0.0.0.0"
            ? new UriBuilder(publicAddress) { Host = "127.0.0.1" }.Uri
            : publicAddress;
        var apiAddress = userAddress.ToString().TrimEnd('/') + components.Proxy.Prefix;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Dask Gateway {version} listening: public {publicAddress.ToString().TrimEnd('/')}{components.Proxy.Prefix}, private API {privateAddress.ToString().TrimEnd('/')}\n");
        text.Append("Connect from Python:\n");
        text.Append("    from dask_gateway import Gateway\n");
        switch (components.Authenticator)
        {
            case SimpleAuthenticator simple:
                text.Append(CultureInfo.InvariantCulture, $"    gateway = Gateway(\"{apiAddress}\", auth=\"basic\")\n");
                text.Append(simple.Password is null
                    ? "    (simple authentication: any user name, any password)\n"
                    : "    (simple authentication: any user name, the configured password; set DASK_GATEWAY__AUTH__KWARGS or BasicAuth(password=...))\n");
                break;
            case KerberosAuthenticator:
                text.Append(CultureInfo.InvariantCulture, $"    gateway = Gateway(\"{apiAddress}\", auth=\"kerberos\")  # after kinit; use the host name of the service principal\n");
                break;
            case JupyterHubAuthenticator:
                text.Append(CultureInfo.InvariantCulture, $"    gateway = Gateway(\"{apiAddress}\", auth=\"jupyterhub\")  # token from JUPYTERHUB_API_TOKEN\n");
                break;
            default:
                text.Append(CultureInfo.InvariantCulture, $"    gateway = Gateway(\"{apiAddress}\")  # authenticator: {components.Authenticator.GetType().Name}\n");
                break;
        }

        text.Append("    cluster = gateway.new_cluster()");
        if (components.Authenticator is SimpleAuthenticator { Password: null })
        {
            var port = ListenAddress.Parse(components.Proxy.Address).Port;
            text.Append(components.PublicBoundToLoopback
                ? "\nOnly this machine can connect: without a password anyone could log in, so the public address is 127.0.0.1.\n"
                    + string.Create(CultureInfo.InvariantCulture, $"To open it to other machines, set a password and an address: --SimpleAuthenticator.Password=SECRET --Proxy.Address=:{port}")
                : ListenAddress.Parse(components.Proxy.Address).IsLoopback
                    ? ""
                    : "\nWARNING: no password is set and other machines can reach this address: anyone can log in and start processes here. Set --SimpleAuthenticator.Password=SECRET.");
        }

        return text.ToString();
    }
}
