namespace DaskGateway.Kubernetes.Fake;

/// <summary>One requested failure: the status code, which requests it applies to, and how many are left.</summary>
internal sealed record FaultRule(int StatusCode, Func<FakeRequest, bool> Match)
{
    public int Remaining { get; set; }
}
