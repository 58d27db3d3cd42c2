using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// An open watch: its filter and the queue of lines (one JSON event each) waiting to be written to its response.
/// Lines are queued under the store's lock, so every watch sees events in resource-version order.
/// </summary>
internal sealed class WatchSubscription(FakeApiResource resource, string? ns, LabelSelector labels, FieldSelector fields, bool allowBookmarks)
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public FakeApiResource Resource { get; } = resource;

    public bool AllowBookmarks { get; } = allowBookmarks;

    /// <summary>Set when the test asked to cut the connection rather than end the stream cleanly.</summary>
    public bool Aborted { get; private set; }

    public ChannelReader<string> Lines => _lines.Reader;

    public bool Matches(ObjectKey key, JsonObject? obj) =>
        obj is not null && key.Resource == Resource && (ns is null || key.Namespace == ns) && labels.Matches(obj) && fields.Matches(obj);

    /// <summary>Queues the event this watch should see for a change, if any (selectors turn modifications into adds or deletes).</summary>
    public void Offer(StoredWatchEvent change)
    {
        var now = Matches(change.Key, change.Object);
        var before = change.Type == "MODIFIED" && Matches(change.Key, change.Previous);
        var type = change.Type switch
        {
            "MODIFIED" when now && before => "MODIFIED",
            "MODIFIED" when now => "ADDED",
            "MODIFIED" when before => "DELETED",
            "MODIFIED" => null,
            _ => now ? change.Type : null,
        };
        if (type is not null)
        {
            Send(type, change.ObjectJson);
        }
    }

    public void Send(string type, string objectJson) => _lines.Writer.TryWrite($"{{\"type\":\"{type}\",\"object\":{objectJson}}}");

    public void End(bool abort)
    {
        Aborted |= abort;
        _lines.Writer.TryComplete();
    }
}
