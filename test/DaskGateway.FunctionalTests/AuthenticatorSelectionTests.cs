using DaskGateway.Auth;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Tests;

/// <summary>The built-in authenticators are chosen by alias, class name or upstream's Python path, and configured by section.</summary>
public sealed class AuthenticatorSelectionTests
{
    private static Authenticator Load(string authenticatorClass, params (string Section, string Setting, object Value)[] settings)
    {
        var config = new GatewayConfig();
        config.Set("DaskGateway", "AuthenticatorClass", authenticatorClass, SettingSource.Code);
        config.Set("DBBackendBase", "DbUrl", "sqlite:///:memory:", SettingSource.Code);
        config.Set("DaskGateway", "BackendClass", "unmanaged", SettingSource.Code);
        foreach (var (section, setting, value) in settings)
        {
            config.Set(section, setting, value, SettingSource.Code);
        }

        return GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes(), loggerFactory: NullLoggerFactory.Instance).Authenticator;
    }

    [Theory]
    [InlineData("kerberos", typeof(KerberosAuthenticator))]
    [InlineData("KerberosAuthenticator", typeof(KerberosAuthenticator))]
    [InlineData("DaskGateway.Auth.KerberosAuthenticator", typeof(KerberosAuthenticator))]
    [InlineData("dask_gateway_server.auth.KerberosAuthenticator", typeof(KerberosAuthenticator))]
    [InlineData("jupyterhub", typeof(JupyterHubAuthenticator))]
    [InlineData("JupyterHubAuthenticator", typeof(JupyterHubAuthenticator))]
    [InlineData("dask_gateway_server.auth.JupyterHubAuthenticator", typeof(JupyterHubAuthenticator))]
    public void BuiltIns_AreSelectableByAliasNameOrPythonPath(string name, Type expected) =>
        Assert.IsType(expected, Load(name));

    [Fact]
    public void Settings_TakeUpstreamsSnakeCaseNames_AndDefaults()
    {
        var kerberos = Assert.IsType<KerberosAuthenticator>(Load("kerberos"));
        var configured = Assert.IsType<KerberosAuthenticator>(Load("kerberos", ("KerberosAuthenticator", "service_name", "host"), ("KerberosAuthenticator", "keytab", "/etc/gw.keytab")));
        var hub = Assert.IsType<JupyterHubAuthenticator>(Load(
            "jupyterhub",
            ("JupyterHubAuthenticator", "jupyterhub_api_url", "http://hub:8081/hub/api"),
            ("JupyterHubAuthenticator", "jupyterhub_service_name", "dask-gateway"),
            ("JupyterHubAuthenticator", "use_service_access_scopes", false),
            ("JupyterHubAuthenticator", "tls_ca", "/ca.pem"),
            ("Authenticator", "cache_max_age", 60)));

        Assert.Equal(("HTTP", "dask_gateway.keytab"), (kerberos.ServiceName, kerberos.Keytab));
        Assert.Equal(("host", "/etc/gw.keytab"), (configured.ServiceName, configured.Keytab));
        Assert.Equal(("http://hub:8081/hub/api", "dask-gateway", false, "/ca.pem", 60, 30.0), (hub.JupyterhubApiUrl, hub.JupyterhubServiceName, hub.UseServiceAccessScopes, hub.TlsCa, hub.CacheMaxAge, hub.TokenCacheMaxAge));
        Assert.Equal("Negotiate", kerberos.Challenge);
        Assert.Equal("jupyterhub", hub.Challenge);
    }

    [Fact]
    public void NegativeTokenCacheMaxAge_IsAConfigurationError()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load("jupyterhub", ("JupyterHubAuthenticator", "TokenCacheMaxAge", -1)));

        Assert.Contains("TokenCacheMaxAge", error.Message, StringComparison.Ordinal);
    }
}
