namespace DaskGateway.Kubernetes.Gateway;

/// <summary>How a step's body is compared across backends.</summary>
internal enum BodyComparison
{
    /// <summary>Every value, after cluster names, times and credentials are replaced by placeholders.</summary>
    Exact,

    /// <summary>Only the JSON shape: keys and value types, each array by the distinct shapes of its items.</summary>
    Shape,
}
