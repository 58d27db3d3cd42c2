using System.Threading.Channels;
using k8s;

namespace DaskGateway.FakeApiServer;

/// <summary>Runs one watch through the client's own watch support and keeps what it reports, events and errors alike.</summary>
internal sealed class WatchRecorder<T>
{
    private readonly Channel<WatchItem<T>> _items = Channel.CreateUnbounded<WatchItem<T>>();

    private WatchRecorder()
    {
    }

    /// <summary>Completes when the stream ends (cleanly, by error, or cancelled).</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts a watch; <paramref name="open"/> calls one of the client's <c>WatchList…Async</c> methods with the error callback given.</summary>
    public static WatchRecorder<T> Start(Func<Action<Exception>, IAsyncEnumerable<(WatchEventType, T)>> open, CancellationToken cancellationToken)
    {
        var recorder = new WatchRecorder<T>();
        recorder.Completion = recorder.RunAsync(open, cancellationToken);
        return recorder;
    }

    /// <summary>The next event or error; fails the test if none comes in time, null if the stream ended.</summary>
    public async Task<WatchItem<T>?> NextAsync(CancellationToken cancellationToken) =>
        await _items.Reader.WaitToReadAsync(cancellationToken) && _items.Reader.TryRead(out var item) ? item : null;

    /// <summary>The next event that is not a bookmark.</summary>
    public async Task<WatchItem<T>?> NextChangeAsync(CancellationToken cancellationToken)
    {
        while (await NextAsync(cancellationToken) is { } item)
        {
            if (item.Type != WatchEventType.Bookmark)
            {
                return item;
            }
        }
        return null;
    }

    private async Task RunAsync(Func<Action<Exception>, IAsyncEnumerable<(WatchEventType, T)>> open, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await foreach (var (type, obj) in open(error => _items.Writer.TryWrite(new WatchItem<T>(WatchEventType.Error, default, error))).WithCancellation(cancellationToken))
            {
                _items.Writer.TryWrite(new WatchItem<T>(type, obj, null));
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            _items.Writer.TryWrite(new WatchItem<T>(WatchEventType.Error, default, error));
        }
        finally
        {
            _items.Writer.TryComplete();
        }
    }
}
