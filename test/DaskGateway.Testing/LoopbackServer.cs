using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>A minimal HTTP server on 127.0.0.1 port 0, for the fakes that play a scheduler's or an identity service's side.</summary>
public static class LoopbackServer
{
    public static Task<(WebApplication App, Uri Address)> StartAsync(RequestDelegate handler) => StartAsync(handler, null);

    /// <summary>Starts the server; <paramref name="listen"/> may configure the listener (HTTPS, client certificates).</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(RequestDelegate handler, Action<ListenOptions>? listen)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, options => listen?.Invoke(options)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, new Uri(address));
    }
}
