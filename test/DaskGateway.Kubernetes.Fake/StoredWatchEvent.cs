using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// One change kept in the watch history. <see cref="Previous"/> lets a filtered watch tell an object that stopped
/// matching its selector (reported as DELETED) from one that started matching (ADDED), as a real server does.
/// </summary>
internal sealed record StoredWatchEvent(long ResourceVersion, string Type, ObjectKey Key, JsonObject Object, JsonObject? Previous, string ObjectJson);
