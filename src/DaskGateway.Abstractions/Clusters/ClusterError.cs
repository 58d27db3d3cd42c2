namespace DaskGateway.Clusters;

/// <summary>What kind of expected failure a cluster operation had; the HTTP layer maps each to one status code.</summary>
public enum ClusterErrorKind
{
    /// <summary>No such cluster (404).</summary>
    NotFound,

    /// <summary>The user may not do this (403).</summary>
    Forbidden,

    /// <summary>The operation needs a running cluster, or its scheduler did not take a forwarded request (409).</summary>
    NotRunning,

    /// <summary>The request is well-formed but its values cannot be used (422).</summary>
    Invalid,

    /// <summary>The backend could not do it now (503): its API or resource manager failed.</summary>
    BackendUnavailable,
}

/// <summary>An expected failure of a cluster operation: its kind and a message for the client.</summary>
/// <param name="Kind">What kind of failure; decides the HTTP status.</param>
/// <param name="Message">Shown to the client as <c>{"error": message}</c>.</param>
public sealed record ClusterError(ClusterErrorKind Kind, string Message)
{
    /// <summary>The cluster does not exist (or is not visible to the backend).</summary>
    public static ClusterError NotFound(string name) => new(ClusterErrorKind.NotFound, $"Cluster {name} not found");

    /// <summary>The user may not act on the cluster.</summary>
    public static ClusterError Forbidden(string user, string action, string name) =>
        new(ClusterErrorKind.Forbidden, $"User {user} lacks permissions to {action} cluster {name}");

    /// <summary>The cluster is not running.</summary>
    public static ClusterError NotRunning(string name) => new(ClusterErrorKind.NotRunning, $"cluster {name} is not running");

    /// <summary>The request's values cannot be used.</summary>
    public static ClusterError Invalid(string message) => new(ClusterErrorKind.Invalid, message);

    /// <summary>The backend could not do it now.</summary>
    public static ClusterError BackendUnavailable(string message) => new(ClusterErrorKind.BackendUnavailable, message);
}

/// <summary>The result of a cluster operation: a value or a <see cref="ClusterError"/>.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value, when there is no error.</param>
/// <param name="Error">The error, when the operation failed.</param>
public readonly record struct ClusterResult<T>(T? Value, ClusterError? Error)
{
    /// <summary>A successful result.</summary>
    public static implicit operator ClusterResult<T>(T value) => new(value, null);

    /// <summary>A failed result.</summary>
    public static implicit operator ClusterResult<T>(ClusterError error) => new(default, error);
}
