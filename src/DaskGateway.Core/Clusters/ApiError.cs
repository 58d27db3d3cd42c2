namespace DaskGateway.Clusters;

/// <summary>An expected failure of an API operation: the HTTP status and the message for the client.</summary>
internal sealed record ApiError(int StatusCode, string Message)
{
    public static ApiError NotFound(string name) => new(404, $"Cluster {name} not found");

    public static ApiError Forbidden(string user, string action, string name) => new(403, $"User {user} lacks permissions to {action} cluster {name}");

    public static ApiError NotRunning(string name) => new(409, $"cluster {name} is not running");

    public static ApiError Unprocessable(string message) => new(422, message);
}

/// <summary>The result of an API operation: a value or an <see cref="ApiError"/>.</summary>
internal readonly record struct ApiResult<T>(T? Value, ApiError? Error)
{
    public static implicit operator ApiResult<T>(T value) => new(value, null);

    public static implicit operator ApiResult<T>(ApiError error) => new(default, error);
}
