using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>The <c>meta/v1 Status</c> objects the API server answers errors and some deletes with.</summary>
internal static class StatusBodies
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["code"] = code,
        };
        if (details is not null)
        {
            status["details"] = details;
        }
        return status;
    }

    public static JsonObject Success(FakeApiResource resource, string name, string? uid) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = Details(resource, name, uid),
    };

    public static JsonObject Details(FakeApiResource resource, string name, string? uid = null)
    {
        var details = new JsonObject { ["name"] = name, ["kind"] = resource.Plural };
        if (resource.Group.Length > 0)
        {
            details["group"] = resource.Group;
        }
        if (uid is not null)
        {
            details["uid"] = uid;
        }
        return details;
    }

    /// <summary>The reason a real server gives for an HTTP status code, used for injected faults.</summary>
    public static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Gone",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
}
