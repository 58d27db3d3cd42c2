namespace DaskGateway.Kubernetes.Gateway;

/// <summary>What one request of the scenario got: method and path, status, media type, the 401 challenge, the normalized body.</summary>
internal sealed record ScenarioStep(string Label, string Method, string Path, int Status, int ExpectedStatus, string? MediaType, string? Challenge, string Body)
{
    /// <summary>The answer, which must be the same on every backend (the label and expectation are the scenario's own).</summary>
    public string Answer => $"{Status} {MediaType ?? "-"}{(Challenge is null ? "" : " WWW-Authenticate: " + Challenge)} {Body}";

    public override string ToString() => $"{Method} {Path} ({Label})";
}
