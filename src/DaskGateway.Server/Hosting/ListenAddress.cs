using System.Globalization;
using System.Net;

namespace DaskGateway.Hosting;

/// <summary>A <c>host:port</c> listening address, as upstream writes them (<c>:8000</c>, <c>127.0.0.1:0</c>).</summary>
internal sealed record ListenAddress(string Host, int Port)
{
    public static bool TryParse(string text, out ListenAddress address, out string error)
    {
        address = null!;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || text.Contains("://", StringComparison.Ordinal)
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > 65535)
        {
            error = $"Invalid address '{text}', should be of form 'host:port'";
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Length > 0 && host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            error = $"Invalid address '{text}': the host must be an IP address, 'localhost', or empty for every interface";
            return false;
        }

        address = new ListenAddress(host, port);
        error = "";
        return true;
    }

    /// <summary>Parses an address already validated with <see cref="TryParse"/>.</summary>
    public static ListenAddress Parse(string text) =>
        TryParse(text, out var address, out var error) ? address : throw new FormatException(error);

    public bool IsAnyAddress => Host.Length == 0 || Host == "0.0.0.0" || Host == "::";

    /// <summary>Whether only this machine can reach the address.</summary>
    public bool IsLoopback => Host == "localhost" || (IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip));

    public override string ToString() => $"{Host}:{Port}";
}
