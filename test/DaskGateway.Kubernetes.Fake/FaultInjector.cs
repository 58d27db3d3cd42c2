namespace DaskGateway.Kubernetes.Fake;

/// <summary>The failures tests asked for, each answering a number of matching requests before it runs out.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<FaultRule> _rules = [];

    public void Add(int count, int statusCode, Func<FakeRequest, bool>? match)
    {
        lock (_gate)
        {
            _rules.Add(new FaultRule(statusCode, match ?? (_ => true)) { Remaining = count });
        }
    }

    /// <summary>The status code to fail this request with, if a rule still applies to it (the oldest rule wins).</summary>
    public int? TryTake(FakeRequest request)
    {
        lock (_gate)
        {
            var rule = _rules.FirstOrDefault(rule => rule.Match(request));
            if (rule is null)
            {
                return null;
            }
            if (--rule.Remaining == 0)
            {
                _rules.Remove(rule);
            }
            return rule.StatusCode;
        }
    }
}
