using System.ComponentModel;
using DaskGateway.Configuration;

namespace DaskGateway.Hosting;

/// <summary>The public entry point's settings: the <c>Proxy</c> section.</summary>
[ConfigSection("Proxy")]
public sealed class ProxySettings
{
    /// <summary>The public address users reach, <c>host:port</c>; an empty host listens on every interface.</summary>
    [Description("Public address users reach, host:port (empty host: every interface).")]
    public string Address { get; set; } = ":8000";

    /// <summary>A path prefix the public address serves under, such as <c>/services/dask-gateway</c>.</summary>
    [Description("Path prefix of the public address, e.g. /services/dask-gateway (must start with /).")]
    public string Prefix { get; set; } = "";
}
