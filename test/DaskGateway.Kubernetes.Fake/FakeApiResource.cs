namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// One kind of object the fake API server serves, described the way the real server's discovery does:
/// group, version, plural (the URL segment), kind and whether it lives in namespaces.
/// </summary>
/// <param name="Group">API group; empty for the core group served under <c>/api/v1</c>.</param>
/// <param name="Version">API version, e.g. <c>v1</c> or <c>v1alpha1</c>.</param>
/// <param name="Plural">The resource name used in URLs, e.g. <c>pods</c>.</param>
/// <param name="Kind">The object kind, e.g. <c>Pod</c>; lists are <c>{Kind}List</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
/// <param name="HasStatusSubresource">
/// Whether <c>/status</c> exists: writes to the main resource then keep the stored <c>status</c>, writes to
/// <c>/status</c> change nothing but <c>status</c>, and <c>status</c> is dropped on create.
/// </param>
/// <param name="ReturnsObjectOnDelete">
/// Whether DELETE answers with the deleted object (pods, services, custom resources) rather than a
/// <c>Status</c> (secrets, endpoints, leases…); the client's typed delete methods expect exactly that.
/// </param>
public sealed record FakeApiResource(string Group, string Version, string Plural, string Kind, bool Namespaced, bool HasStatusSubresource, bool ReturnsObjectOnDelete)
{
    public static FakeApiResource Pods { get; } = new("", "v1", "pods", "Pod", true, true, true);

    public static FakeApiResource Services { get; } = new("", "v1", "services", "Service", true, true, true);

    public static FakeApiResource Secrets { get; } = new("", "v1", "secrets", "Secret", true, false, false);

    public static FakeApiResource ConfigMaps { get; } = new("", "v1", "configmaps", "ConfigMap", true, false, false);

    public static FakeApiResource Endpoints { get; } = new("", "v1", "endpoints", "Endpoints", true, false, false);

    public static FakeApiResource Events { get; } = new("", "v1", "events", "Event", true, false, false);

    public static FakeApiResource Namespaces { get; } = new("", "v1", "namespaces", "Namespace", false, true, true);

    public static FakeApiResource Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", true, false, false);

    public static FakeApiResource DaskClusters { get; } = new("gateway.dask.org", "v1alpha1", "daskclusters", "DaskCluster", true, true, true);

    public static FakeApiResource IngressRoutes { get; } = new("traefik.io", "v1alpha1", "ingressroutes", "IngressRoute", true, false, true);

    public static FakeApiResource IngressRouteTcps { get; } = new("traefik.io", "v1alpha1", "ingressroutetcps", "IngressRouteTCP", true, false, true);

    /// <summary>The resources every fake server starts with.</summary>
    public static IReadOnlyList<FakeApiResource> BuiltIn { get; } =
        [Pods, Services, Secrets, ConfigMaps, Endpoints, Events, Namespaces, Leases, DaskClusters, IngressRoutes, IngressRouteTcps];

    /// <summary>The <c>apiVersion</c> written into objects: <c>v1</c> for core, <c>group/version</c> otherwise.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>How error messages name the resource: <c>pods</c>, or <c>daskclusters.gateway.dask.org</c>.</summary>
    internal string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>Custom resources are served from CRDs, which refuse strategic merge patches (they have no patch strategy).</summary>
    internal bool IsCustom => Group.Length > 0 && !Group.EndsWith("k8s.io", StringComparison.Ordinal);
}
