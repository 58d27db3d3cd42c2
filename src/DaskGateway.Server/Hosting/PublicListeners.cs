using System.Net;
using System.Security.Cryptography.X509Certificates;
using DaskGateway.Configuration;
using DaskGateway.Proxy.Sni;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DaskGateway.Hosting;

/// <summary>
/// The listeners users reach, the same in the gateway and in a standalone proxy: the public address
/// (every connection meets the <see cref="SniRouter"/> first, then HTTP, or HTTPS with
/// <c>Proxy.TlsCert</c>), and optionally a separate address for scheduler traffic only.
/// </summary>
internal static class PublicListeners
{
    public static void Configure(KestrelServerOptions kestrel, ProxySettings proxy, X509Certificate2? certificate, Action<ListenOptions>? configurePublic = null)
    {
        Listen(kestrel, ListenAddress.Parse(proxy.Address), listen =>
        {
            configurePublic?.Invoke(listen);
            listen.Use(next => Router(listen).Middleware(next, schedulersOnly: false));
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        });

        if (proxy.HasSeparateTcpAddress)
        {
            Listen(kestrel, ListenAddress.Parse(proxy.TcpAddress), listen => listen.Use(next => Router(listen).Middleware(next, schedulersOnly: true)));
        }
    }

    /// <summary>The HTTPS certificate of the public address, if configured.</summary>
    /// <exception cref="ConfigurationException">The files cannot be loaded.</exception>
    public static X509Certificate2? LoadCertificate(ProxySettings proxy) =>
        proxy.TlsCert.Length == 0 ? null : proxy.TryLoadCertificate(out var problem) ?? throw new ConfigurationException(problem);

    public static void Listen(KestrelServerOptions kestrel, ListenAddress address, Action<ListenOptions> configure)
    {
        if (address.IsAnyAddress)
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
        else if (address.Host == "localhost")
        {
            kestrel.Listen(IPAddress.Loopback, address.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(address.Host), address.Port, configure);
        }
    }

    private static SniRouter Router(ListenOptions listen) => listen.ApplicationServices.GetRequiredService<SniRouter>();
}
