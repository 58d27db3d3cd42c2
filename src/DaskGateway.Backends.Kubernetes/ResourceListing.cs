namespace DaskGateway.Backends.Kubernetes;

/// <summary>The objects a list returned and the resource version to watch from.</summary>
internal sealed record ResourceListing<T>(IReadOnlyList<T> Items, string ResourceVersion);
