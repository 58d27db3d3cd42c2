using System.Collections.Concurrent;

namespace DaskGateway.Proxy.Routing;

/// <summary>
/// The routes of the public entry point (protocol.md §2.5): SNI names to schedulers and path
/// prefixes to HTTP servers, with a bounded log of changes that followers (standalone proxies)
/// watch. Lookups are lock-free; changes and subscriptions are serialized so that every follower
/// sees the changes in id order without gaps.
/// </summary>
internal sealed class RouteTable
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, ProxyRoute> _sni = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProxyRoute> _paths = new(StringComparer.Ordinal);
    private readonly List<RouteEvent> _events = [];
    private readonly List<RouteWatcher> _watchers = [];
    private readonly int _maxEvents;
    private long _lastId;

    /// <param name="maxEvents">How many changes are kept for followers; when full, the oldest half is dropped.</param>
    public RouteTable(int maxEvents = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        _maxEvents = maxEvents;
    }

    /// <summary>The id of the latest change (0 before the first).</summary>
    public long LastId
    {
        get
        {
            lock (_lock)
            {
                return _lastId;
            }
        }
    }

    public int Count => _sni.Count + _paths.Count;

    /// <summary>Trailing slashes do not count: <c>/a/b/</c> is <c>/a/b</c>; the root is <c>/</c>.</summary>
    public static string NormalizePath(string path)
    {
        var trimmed = path.TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed[0] == '/' ? trimmed : "/" + trimmed;
    }

    /// <summary>The scheduler address for SNI <c>daskgateway-&lt;<paramref name="name"/>&gt;</c>.</summary>
    public bool TryGetSni(string name, out string target)
    {
        if (_sni.TryGetValue(name, out var route))
        {
            target = route.Target!;
            return true;
        }

        target = "";
        return false;
    }

    /// <summary>
    /// The path route with the longest prefix of <paramref name="path"/>, matching whole segments
    /// (<c>/a/b</c> matches <c>/a/b</c>, <c>/a/b/</c> and <c>/a/b/c</c>, never <c>/a/bc</c>);
    /// <paramref name="remaining"/> is the rest of the path after the prefix.
    /// </summary>
    public bool TryMatchPath(string path, out ProxyRoute route, out string remaining)
    {
        route = null!;
        remaining = path;
        if (_paths.IsEmpty)
        {
            return false;
        }

        var candidate = NormalizePath(path);
        while (true)
        {
            if (_paths.TryGetValue(candidate, out var found))
            {
                route = found;
                remaining = candidate == "/" ? path : path[candidate.Length..];
                return true;
            }

            if (candidate == "/")
            {
                return false;
            }

            var slash = candidate.LastIndexOf('/');
            candidate = slash <= 0 ? "/" : candidate[..slash];
        }
    }

    /// <summary>Adds a route or changes its target; putting a route that is already there changes nothing.</summary>
    public void Put(ProxyRoute route)
    {
        ArgumentNullException.ThrowIfNull(route.Target);
        var routes = RoutesOf(route.Kind);
        var key = KeyOf(route);
        lock (_lock)
        {
            if (routes.TryGetValue(key, out var existing) && existing.Target == route.Target)
            {
                return;
            }

            routes[key] = route;
            Record(RouteEventType.Put, route);
        }
    }

    /// <summary>Removes a route; removing one that is not there changes nothing (no event).</summary>
    public void Delete(RouteKind kind, string key)
    {
        var routes = RoutesOf(kind);
        lock (_lock)
        {
            if (routes.TryRemove(kind == RouteKind.Path ? NormalizePath(key) : key, out var removed))
            {
                Record(RouteEventType.Delete, removed.WithoutTarget());
            }
        }
    }

    /// <summary>Applies a change seen on another table (a standalone proxy following an API server).</summary>
    public void Apply(RouteEvent routeEvent)
    {
        if (routeEvent.Type == RouteEventType.Put)
        {
            Put(routeEvent.Route);
        }
        else
        {
            Delete(routeEvent.Route.Kind, routeEvent.Route.Key);
        }
    }

    /// <summary>Makes the table hold exactly <paramref name="routes"/>, changing only what differs.</summary>
    public void Replace(IReadOnlyCollection<ProxyRoute> routes)
    {
        lock (_lock)
        {
            var wanted = routes.ToDictionary(r => (r.Kind, KeyOf(r)));
            foreach (var (kind, table) in new[] { (RouteKind.Sni, _sni), (RouteKind.Path, _paths) })
            {
                foreach (var key in table.Keys.Where(k => !wanted.ContainsKey((kind, k))).ToList())
                {
                    Delete(kind, key);
                }
            }

            foreach (var route in routes)
            {
                Put(route);
            }
        }
    }

    /// <summary>Every route, and the id of the latest change they include.</summary>
    public (IReadOnlyList<ProxyRoute> Routes, long Id) Snapshot()
    {
        lock (_lock)
        {
            return ([.. _paths.Values.OrderBy(r => r.Key, StringComparer.Ordinal), .. _sni.Values.OrderBy(r => r.Key, StringComparer.Ordinal)], _lastId);
        }
    }

    /// <summary>
    /// Follows the changes after <paramref name="lastId"/>: null when they are no longer all retained
    /// (or <paramref name="lastId"/> is negative, or newer than any change, as after a restart of the
    /// API server), in which case the follower must read the whole table again.
    /// </summary>
    public RouteWatcher? Watch(long lastId)
    {
        lock (_lock)
        {
            var firstRetained = _events.Count > 0 ? _events[0].Id : _lastId + 1;
            if (lastId < 0 || lastId > _lastId || lastId + 1 < firstRetained)
            {
                return null;
            }

            var backlog = _events.GetRange((int)(lastId + 1 - firstRetained), (int)(_lastId - lastId));
            var watcher = new RouteWatcher(this, backlog, _maxEvents);
            _watchers.Add(watcher);
            return watcher;
        }
    }

    internal void Unsubscribe(RouteWatcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }
    }

    private void Record(RouteEventType type, ProxyRoute route)
    {
        var routeEvent = new RouteEvent(++_lastId, type, route);
        if (_events.Count >= _maxEvents)
        {
            _events.RemoveRange(0, Math.Max(_events.Count / 2, 1));
        }

        _events.Add(routeEvent);
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            if (!_watchers[i].TryPublish(routeEvent))
            {
                // Too far behind: its stream ends and it catches up from its last id (or re-reads the table).
                _watchers.RemoveAt(i);
            }
        }
    }

    private ConcurrentDictionary<string, ProxyRoute> RoutesOf(RouteKind kind) => kind == RouteKind.Sni ? _sni : _paths;

    private static string KeyOf(ProxyRoute route) => route.Kind == RouteKind.Path ? NormalizePath(route.Key) : route.Key;
}
