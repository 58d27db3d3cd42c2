using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>A test's wish that matching pods stay Pending; disposing it lets them start.</summary>
internal sealed class PendingHold(Func<JsonObject, bool> match, Action<PendingHold> release) : IDisposable
{
    public bool Holds(JsonObject pod) => match(pod);

    public void Dispose() => release(this);
}
