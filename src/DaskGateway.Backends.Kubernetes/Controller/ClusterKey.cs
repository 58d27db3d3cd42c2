namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>The work-queue key of a DaskCluster: <c>&lt;namespace&gt;/&lt;name&gt;</c>.</summary>
internal static class ClusterKey
{
    public static string Of(string @namespace, string name) => $"{@namespace}/{name}";

    public static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }
}
