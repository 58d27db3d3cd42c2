using System.Collections.Immutable;
using DaskGateway.Logging;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// An informer: lists the objects of a <see cref="ResourceWatchSource{T}"/> into an in-memory
/// cache, then watches for changes, resuming from the last resource version it saw. When the API
/// server no longer has that version (410 Gone) it lists again and reports the difference; other
/// errors are retried after an exponential backoff. Subscribers hear every change, in order, on
/// the watcher's own loop (they should be quick: enqueue work, don't do it).
/// </summary>
internal sealed partial class ResourceWatcher<T> : IAsyncDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ResourceWatchSource<T> _source;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _backoffBaseDelay;
    private readonly TimeSpan _backoffMaxDelay;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Namespace, string Name), T> _cache = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private ImmutableArray<Action<ResourceChange<T>>> _subscribers = [];
    private Task? _loop;
    private int _listCount;

    public ResourceWatcher(
        ResourceWatchSource<T> source,
        ILogger logger,
        TimeSpan? backoffBaseDelay = null,
        TimeSpan? backoffMaxDelay = null,
        TimeProvider? timeProvider = null)
    {
        _source = source;
        _logger = logger;
        _backoffBaseDelay = backoffBaseDelay ?? TimeSpan.FromSeconds(0.5);
        _backoffMaxDelay = backoffMaxDelay ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThan(_backoffMaxDelay, _backoffBaseDelay);
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>True once the first list has filled the cache.</summary>
    public bool IsSynced => _synced.Task.IsCompleted;

    /// <summary>How many times the objects were listed (once at start, then after each 410 or error).</summary>
    public int ListCount => Volatile.Read(ref _listCount);

    /// <summary>Hears every later change; dispose the result to stop. Subscribe before <see cref="Start"/> to hear the first list too.</summary>
    public IDisposable Subscribe(Action<ResourceChange<T>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.Update(ref _subscribers, static (list, item) => list.Add(item), handler);
        return new Subscription(this, handler);
    }

    /// <summary>Starts listing and watching in the background until disposed.</summary>
    public void Start()
    {
        lock (_lock)
        {
            if (_loop is not null)
            {
                throw new InvalidOperationException("The watcher was already started.");
            }

            _loop = Task.Run(() => RunAsync(_stopping.Token));
        }
    }

    /// <summary>Completes once the first list has filled the cache.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>The cached object, or null.</summary>
    public T? Get(string? @namespace, string name)
    {
        lock (_lock)
        {
            return _cache.GetValueOrDefault((@namespace ?? "", name));
        }
    }

    /// <summary>A snapshot of the cached objects, optionally filtered.</summary>
    public IReadOnlyList<T> List(Func<T, bool>? predicate = null)
    {
        lock (_lock)
        {
            return predicate is null ? [.. _cache.Values] : [.. _cache.Values.Where(predicate)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private static (string Namespace, string Name) KeyOf(T item) => (item.Metadata?.NamespaceProperty ?? "", item.Metadata?.Name ?? "");

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var listing = await _source.ListAsync(cancellationToken).ConfigureAwait(false);
                    Interlocked.Increment(ref _listCount);
                    ReplaceAll(listing.Items);
                    resourceVersion = listing.ResourceVersion;
                    _synced.TrySetResult();
                    LogListed(_source.Description, listing.Items.Count, resourceVersion);
                }

                var sawEvents = false;
                await foreach (var (type, item) in _source.WatchAsync(resourceVersion, cancellationToken).ConfigureAwait(false))
                {
                    sawEvents = true;
                    failures = 0;
                    resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                    Apply(type, item);
                }

                // The server ended the watch (its timeout): resume. A server that ends watches at
                // once must not make this loop spin.
                if (!sawEvents)
                {
                    await Task.Delay(_backoffBaseDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (KubeApiErrors.IsGone(e))
            {
                LogExpired(_source.Description, resourceVersion);
                resourceVersion = null;
            }
#pragma warning disable CA1031 // Any failure of the API or the network is retried; the watcher must outlive them.
            catch (Exception e)
#pragma warning restore CA1031
            {
                var delay = Delay(failures++);
                LogWatchFailed(e, _source.Description, delay);
                try
                {
                    await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private TimeSpan Delay(int failures)
    {
        var delay = _backoffBaseDelay * Math.Pow(2, Math.Min(failures, 30));
        return delay > _backoffMaxDelay ? _backoffMaxDelay : delay;
    }

    private void ReplaceAll(IReadOnlyList<T> items)
    {
        var changes = new List<ResourceChange<T>>();
        lock (_lock)
        {
            var seen = new HashSet<(string, string)>();
            foreach (var item in items)
            {
                var key = KeyOf(item);
                seen.Add(key);
                if (!_cache.TryGetValue(key, out var previous))
                {
                    changes.Add(new ResourceChange<T>(ResourceChangeKind.Added, item, null));
                }
                else if (previous.Metadata?.ResourceVersion != item.Metadata?.ResourceVersion)
                {
                    changes.Add(new ResourceChange<T>(ResourceChangeKind.Modified, item, previous));
                }

                _cache[key] = item;
            }

            foreach (var (key, previous) in _cache.Where(entry => !seen.Contains(entry.Key)).ToList())
            {
                _cache.Remove(key);
                changes.Add(new ResourceChange<T>(ResourceChangeKind.Deleted, previous, previous));
            }
        }

        foreach (var change in changes)
        {
            Notify(change);
        }
    }

    private void Apply(WatchEventType type, T item)
    {
        ResourceChange<T> change;
        lock (_lock)
        {
            var key = KeyOf(item);
            var previous = _cache.GetValueOrDefault(key);
            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    _cache[key] = item;
                    change = new ResourceChange<T>(previous is null ? ResourceChangeKind.Added : ResourceChangeKind.Modified, item, previous);
                    break;
                case WatchEventType.Deleted:
                    _cache.Remove(key);
                    change = new ResourceChange<T>(ResourceChangeKind.Deleted, item, previous);
                    break;
                default:
                    // Bookmarks only move the resource version on.
                    return;
            }
        }

        Notify(change);
    }

    private void Notify(ResourceChange<T> change)
    {
        foreach (var subscriber in _subscribers)
        {
            try
            {
                subscriber(change);
            }
#pragma warning disable CA1031 // A failing subscriber must not stop the others or the watch.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogSubscriberFailed(e, _source.Description);
            }
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.ResourceWatcherListed, Level = LogLevel.Debug, Message = "Listed {Count} {What} at resource version {ResourceVersion}")]
    private partial void LogListed(string what, int count, string resourceVersion);

    [LoggerMessage(EventId = GatewayEventIds.ResourceWatcherExpired, Level = LogLevel.Information, Message = "Watch of {What} expired at resource version {ResourceVersion}; listing again")]
    private partial void LogExpired(string what, string? resourceVersion);

    [LoggerMessage(EventId = GatewayEventIds.ResourceWatcherWatchFailed, Level = LogLevel.Warning, Message = "Watch of {What} failed; retrying in {RetryDelay}")]
    private partial void LogWatchFailed(Exception exception, string what, TimeSpan retryDelay);

    [LoggerMessage(EventId = GatewayEventIds.ResourceWatcherSubscriberFailed, Level = LogLevel.Error, Message = "A subscriber to {What} failed")]
    private partial void LogSubscriberFailed(Exception exception, string what);

    private sealed class Subscription(ResourceWatcher<T> watcher, Action<ResourceChange<T>> handler) : IDisposable
    {
        public void Dispose() =>
            ImmutableInterlocked.Update(ref watcher._subscribers, static (list, item) => list.Remove(item), handler);
    }
}
