namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// What a request path names: <c>/api/v1/[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]</c> or the same
/// under <c>/apis/{group}/{version}</c>. <see cref="Resource"/> is null when the path names nothing served.
/// </summary>
internal sealed record ApiRoute(FakeApiResource? Resource, string? Plural, string? Namespace, string? Name, string? Subresource)
{
    private static readonly ApiRoute Nothing = new(null, null, null, null, null);

    public static ApiRoute Parse(string path, FakeObjectStore store)
    {
        var segments = path.Trim('/').Split('/');
        string group;
        string version;
        string[] rest;
        if (segments is ["api", "v1", _, ..])
        {
            (group, version, rest) = ("", "v1", segments[2..]);
        }
        else if (segments is ["apis", _, _, _, ..])
        {
            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }
        else
        {
            return Nothing;
        }
        string? ns = null;
        if (rest is ["namespaces", _, _, ..])
        {
            ns = rest[1];
            rest = rest[2..];
        }
        if (rest.Length > 3)
        {
            return Nothing;
        }
        var resource = store.FindResource(group, version, rest[0]);
        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        // A namespaced object is only addressable inside its namespace; cluster-scoped ones never are.
        var addressable = resource is not null && (resource.Namespaced ? ns is not null || name is null : ns is null);
        return new ApiRoute(addressable ? resource : null, rest[0], ns, name, subresource);
    }

    public string Verb(string method, bool watch) => (method, Name is null) switch
    {
        ("GET", true) => watch ? "watch" : "list",
        ("GET", false) => "get",
        ("POST", true) => "create",
        ("PUT", false) => "update",
        ("PATCH", false) => "patch",
        ("DELETE", false) => "delete",
        ("DELETE", true) => "deletecollection",
        _ => "unknown",
    };
}
