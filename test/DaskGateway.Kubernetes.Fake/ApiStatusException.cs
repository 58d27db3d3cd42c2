using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// A refusal the fake answers with a <c>Status</c> body. The checks that refuse sit deep inside store operations
/// that run under the store's lock; an exception carries the status out to the one place that writes responses.
/// </summary>
internal sealed class ApiStatusException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject Body => StatusBodies.Failure(Code, Reason, Message, details);

    public static ApiStatusException NotFound(FakeApiResource resource, string name) =>
        new(404, "NotFound", $"{resource.QualifiedName} \"{name}\" not found", StatusBodies.Details(resource, name));

    public static ApiStatusException AlreadyExists(FakeApiResource resource, string name) =>
        new(409, "AlreadyExists", $"{resource.QualifiedName} \"{name}\" already exists", StatusBodies.Details(resource, name));

    public static ApiStatusException Conflict(FakeApiResource resource, string name) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", StatusBodies.Details(resource, name));

    public static ApiStatusException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiStatusException Invalid(FakeApiResource resource, string name, string message) =>
        new(422, "Invalid", $"{resource.Kind} \"{name}\" is invalid: {message}", StatusBodies.Details(resource, name));

    public static ApiStatusException Expired(long requested, long oldest) =>
        new(410, "Expired", $"too old resource version: {requested} ({oldest})");
}
