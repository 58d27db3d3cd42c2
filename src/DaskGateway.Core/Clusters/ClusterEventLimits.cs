using System.Globalization;

namespace DaskGateway.Clusters;

/// <summary>
/// Bounds on a cluster's timeline, in memory and in the store: whatever a backend says about a failure
/// and however often a cluster changes, its events cost a bounded amount. A cluster keeps its first
/// events (how it started) and its latest ones (what it is doing now), as the Kubernetes side keeps
/// the first and the latest in <c>status.events</c>.
/// </summary>
internal static class ClusterEventLimits
{
    /// <summary>The longest event message kept, in characters; longer ones are cut and marked.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>How many of a cluster's first events are kept.</summary>
    public const int KeptFirst = 10;

    /// <summary>How many of a cluster's latest events are kept.</summary>
    public const int KeptLatest = 90;

    /// <summary>The most events a cluster keeps.</summary>
    public const int MaxEvents = KeptFirst + KeptLatest;

    /// <summary><paramref name="message"/>, or its start with a marker saying how much was cut when it is too long.</summary>
    public static string Truncate(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Length <= MaxMessageLength)
        {
            return message;
        }

        var marker = string.Create(CultureInfo.InvariantCulture, $" [… {message.Length} characters, cut]");
        var kept = MaxMessageLength - marker.Length;
        if (char.IsHighSurrogate(message[kept - 1]))
        {
            kept--;
        }

        return string.Concat(message.AsSpan(0, kept), marker);
    }
}
