namespace DaskGateway.Clusters;

/// <summary>Makes a cluster's config: configured values, then the options handler's overrides.</summary>
internal interface IClusterConfigFactory
{
    /// <summary>
    /// Creates <paramref name="configClass"/> with the configured settings and
    /// <paramref name="overrides"/> applied; <paramref name="errors"/> says what was wrong with
    /// the overrides (each message is for the user who asked for the cluster).
    /// </summary>
    ClusterConfig Create(Type configClass, IReadOnlyDictionary<string, object?> overrides, out IReadOnlyList<string> errors);
}
