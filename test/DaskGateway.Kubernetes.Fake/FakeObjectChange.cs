using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>A change to the fake's state, as a watch would report it (the object is a copy the receiver may keep).</summary>
/// <param name="Type"><c>ADDED</c>, <c>MODIFIED</c> or <c>DELETED</c>.</param>
/// <param name="Resource">The kind of object that changed.</param>
/// <param name="Object">The object after the change (for <c>DELETED</c>: its last state).</param>
public sealed record FakeObjectChange(string Type, FakeApiResource Resource, JsonObject Object)
{
    public string Name => Object["metadata"]?["name"]?.GetValue<string>() ?? "";

    public string? Namespace => Object["metadata"]?["namespace"]?.GetValue<string>();
}
