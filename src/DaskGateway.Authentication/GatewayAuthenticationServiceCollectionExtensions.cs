using DaskGateway.Auth;
using Microsoft.Extensions.Logging;

#pragma warning disable IDE0130 // Service-collection extensions live in the namespace of IServiceCollection, by convention.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers the API's authentication scheme.</summary>
internal static class GatewayAuthenticationServiceCollectionExtensions
{
    /// <summary>
    /// The <see cref="GatewayAuthenticationHandler"/> scheme, honouring the cookie <paramref name="cookieName"/>;
    /// the <see cref="Authenticator"/> and the <see cref="AuthCookieCache"/> come from the container.
    /// </summary>
    public static IServiceCollection AddDaskGatewayAuthentication(this IServiceCollection services, string cookieName)
    {
        services.AddAuthentication()
            .AddScheme<GatewayAuthenticationOptions, GatewayAuthenticationHandler>(GatewayAuthenticationHandler.SchemeName, options => options.CookieName = cookieName);

        // The base class logs every handshake's challenge and refusal at Information; the gateway logs
        // the outcomes that matter itself, as it did before the handler existed.
        services.AddLogging(logging => logging.AddFilter(typeof(GatewayAuthenticationHandler).FullName, LogLevel.Warning));
        return services;
    }
}
