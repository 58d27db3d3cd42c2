namespace DaskGateway.Clusters;

/// <summary>The reply to a scale or adapt request: whether it was applied as asked, and why not.</summary>
internal sealed record ScaleReply(bool Ok, string? Message);

/// <summary>An adapt request after validation.</summary>
internal sealed record AdaptRequest(int? Minimum, int? Maximum, bool Active);
