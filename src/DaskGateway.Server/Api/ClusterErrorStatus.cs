using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>The one place where a cluster operation's expected failure becomes an HTTP status.</summary>
internal static class ClusterErrorStatus
{
    public static int Of(ClusterErrorKind kind) => kind switch
    {
        ClusterErrorKind.NotFound => StatusCodes.Status404NotFound,
        ClusterErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ClusterErrorKind.NotRunning => StatusCodes.Status409Conflict,
        ClusterErrorKind.Invalid => StatusCodes.Status422UnprocessableEntity,
        ClusterErrorKind.BackendUnavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown cluster error kind"),
    };
}
