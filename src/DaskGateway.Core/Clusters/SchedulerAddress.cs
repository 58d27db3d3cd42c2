using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace DaskGateway.Clusters;

/// <summary>
/// One address a scheduler reports in its heartbeat (protocol.md §3.5): <c>tls://host:port</c>
/// for the scheduler, <c>http://host:port</c> for its dashboard and API. The scheduler runs the
/// user's code, and the gateway routes users to these addresses and sends the cluster's token to
/// the API one, so they are parsed strictly (nothing but scheme, host and port) and their host
/// must be one the backend runs schedulers on.
/// </summary>
internal sealed record SchedulerAddress(string Host, int Port)
{
    /// <summary>Longer than any host and port; bounds what is parsed and echoed in errors.</summary>
    public const int MaxLength = 300;

    /// <summary>The kind of a cluster event that records a refused heartbeat.</summary>
    public const string RefusedEventKind = "addresses-refused";

    public const string TlsScheme = "tls";
    public const string HttpScheme = "http";

    private static readonly SearchValues<char> Ipv4Characters = SearchValues.Create("0123456789.");
    private static readonly SearchValues<char> LabelCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
    private static readonly SearchValues<char> NotInAuthority = SearchValues.Create("/?#@\\");

    /// <summary>
    /// The heartbeat's addresses checked together: the first problem, worded for the scheduler's
    /// operator, or null when all three are acceptable. An empty dashboard address means none.
    /// </summary>
    public static string? FindProblem(Heartbeat heartbeat, Func<string, bool> isSchedulerHost)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        return Check("scheduler_address", heartbeat.SchedulerAddress, TlsScheme, isSchedulerHost)
            ?? (heartbeat.DashboardAddress.Length == 0 ? null : Check("dashboard_address", heartbeat.DashboardAddress, HttpScheme, isSchedulerHost))
            ?? Check("api_address", heartbeat.ApiAddress, HttpScheme, isSchedulerHost);
    }

    /// <summary>
    /// Parses <c>&lt;scheme&gt;://&lt;host&gt;:&lt;port&gt;</c>, with an optional final <c>/</c> for
    /// <c>http</c>. Refused: another scheme, user information, a path, query or fragment, a missing,
    /// zero or out-of-range port, and a host that is neither an IP address nor a DNS name.
    /// </summary>
    public static bool TryParse(string value, string scheme, [NotNullWhen(true)] out SchedulerAddress? address, out string problem)
    {
        address = null;
        problem = "";
        if (value.Length > MaxLength)
        {
            problem = $"is longer than {MaxLength} characters";
            return false;
        }

        var prefix = scheme + "://";
        if (!value.StartsWith(prefix, StringComparison.Ordinal))
        {
            problem = $"must be {scheme}://<host>:<port>";
            return false;
        }

        var authority = value.AsSpan(prefix.Length);
        if (scheme == HttpScheme && authority.EndsWith("/"))
        {
            authority = authority[..^1];
        }

        if (authority.ContainsAny(NotInAuthority))
        {
            problem = $"must be {scheme}://<host>:<port>, without user information, path or query";
            return false;
        }

        var colon = authority.LastIndexOf(':');
        if (colon < 0 || !TryParsePort(authority[(colon + 1)..], out var port))
        {
            problem = "must name a port between 1 and 65535";
            return false;
        }

        var host = authority[..colon];
        if (host.StartsWith("[") && host.EndsWith("]"))
        {
            if (!IPAddress.TryParse(host[1..^1], out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || v6.ScopeId != 0)
            {
                problem = "has an invalid IPv6 host";
                return false;
            }

            address = new SchedulerAddress(v6.ToString(), port);
            return true;
        }

        if (!IsIPv4(host) && !IsDnsName(host))
        {
            problem = "has an invalid host";
            return false;
        }

        address = new SchedulerAddress(host.ToString(), port);
        return true;
    }

    private static string? Check(string key, string value, string scheme, Func<string, bool> isSchedulerHost)
    {
        if (!TryParse(value, scheme, out var address, out var problem))
        {
            return $"Heartbeat '{key}' {problem}, got '{Shorten(value)}'";
        }

        return isSchedulerHost(address.Host) ? null : $"Heartbeat '{key}' names host {address.Host}, where this backend runs no scheduler of this cluster";
    }

    private static string Shorten(string value) => value.Length <= MaxLength ? value : value[..MaxLength] + "...";

    private static bool TryParsePort(ReadOnlySpan<char> text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5
            && !text.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is > 0 and <= 65535;
    }

    // Dotted quads only: IPAddress.TryParse also takes "1", "0x7f.1" and other forms that
    // resolvers read differently.
    private static bool IsIPv4(ReadOnlySpan<char> host) =>
        !host.ContainsAnyExcept(Ipv4Characters) && IPAddress.TryParse(host, out var ip)
        && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.ToString().AsSpan().SequenceEqual(host);

    // RFC 1123 host names: labels of letters, digits and inner hyphens, at most 63 characters each,
    // the last starting with a letter (RFC 3696 §2), so that no name reads as a number ("0x7f.1"),
    // which some resolvers and IPAddress.TryParse take for an IP address.
    private static bool IsDnsName(ReadOnlySpan<char> host)
    {
        var lastLabel = host.LastIndexOf('.') + 1;
        if (host.Length is 0 or > 253 || lastLabel >= host.Length || !char.IsAsciiLetter(host[lastLabel]) || IPAddress.TryParse(host, out _))
        {
            return false;
        }

        foreach (var range in host.Split('.'))
        {
            var label = host[range];
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || label.ContainsAnyExcept(LabelCharacters))
            {
                return false;
            }
        }

        return true;
    }
}
