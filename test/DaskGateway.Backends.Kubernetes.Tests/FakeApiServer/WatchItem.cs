using k8s;

namespace DaskGateway.FakeApiServer;

/// <summary>One thing a watch reported: an event with its object, or an error (a Status event or a broken stream).</summary>
internal sealed record WatchItem<T>(WatchEventType Type, T? Object, Exception? Error);
