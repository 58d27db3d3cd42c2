namespace DaskGateway.Kubernetes.Fake;

/// <summary>One request the fake received, as recorded in its request log and offered to fault matchers.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path, e.g. <c>/api/v1/namespaces/default/pods</c>.</param>
/// <param name="Query">Query string including the leading <c>?</c>, or empty.</param>
/// <param name="ContentType">The request's content type, if it had a body.</param>
/// <param name="Time">When the request arrived.</param>
/// <param name="Verb">The Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, or unknown.</param>
/// <param name="Resource">The resource plural, e.g. <c>pods</c>, if the path names one.</param>
/// <param name="Namespace">The namespace in the path, if any.</param>
/// <param name="Name">The object name in the path, if any.</param>
/// <param name="Subresource">The subresource, e.g. <c>status</c>, if any.</param>
/// <param name="Body">The request body as text, if any.</param>
public sealed record FakeRequest(
    string Method,
    string Path,
    string Query,
    string? ContentType,
    DateTimeOffset Time,
    string Verb,
    string? Resource,
    string? Namespace,
    string? Name,
    string? Subresource,
    string? Body);
