namespace DaskGateway.Kubernetes.Fake;

/// <summary>Every request the fake received, in arrival order, for tests that count calls.</summary>
internal sealed class RequestLog
{
    private readonly Lock _gate = new();
    private readonly List<FakeRequest> _requests = [];

    public void Add(FakeRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    public IReadOnlyList<FakeRequest> Snapshot()
    {
        lock (_gate)
        {
            return [.. _requests];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }
}
