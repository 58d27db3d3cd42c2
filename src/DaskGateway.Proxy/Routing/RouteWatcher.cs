using System.Threading.Channels;

namespace DaskGateway.Proxy.Routing;

/// <summary>
/// One follower of the route table: the retained events it missed, then every new one. A follower
/// that falls too far behind is ended (its channel completes) and must catch up by watching again.
/// </summary>
internal sealed class RouteWatcher : IDisposable
{
    private readonly RouteTable _table;
    private readonly Channel<RouteEvent> _events;

    public RouteWatcher(RouteTable table, IReadOnlyList<RouteEvent> backlog, int capacity)
    {
        _table = table;
        Backlog = backlog;
        _events = Channel.CreateBounded<RouteEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    /// <summary>The retained events after the id the follower asked from, oldest first.</summary>
    public IReadOnlyList<RouteEvent> Backlog { get; }

    /// <summary>Events that happen from now on; completes when the follower fell too far behind.</summary>
    public ChannelReader<RouteEvent> Events => _events.Reader;

    /// <summary>Called under the table's lock, so events arrive in order.</summary>
    internal bool TryPublish(RouteEvent routeEvent)
    {
        if (_events.Writer.TryWrite(routeEvent))
        {
            return true;
        }

        _events.Writer.TryComplete();
        return false;
    }

    public void Dispose() => _table.Unsubscribe(this);
}
