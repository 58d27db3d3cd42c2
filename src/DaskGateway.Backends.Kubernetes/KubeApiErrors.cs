using System.Net;
using k8s;
using k8s.Autorest;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>Classifies the exceptions of KubernetesClient by the HTTP status the API server answered.</summary>
internal static class KubeApiErrors
{
    /// <summary>The HTTP status of a failed request or of a watch's error event; null for transport errors.</summary>
    public static HttpStatusCode? StatusOf(Exception exception) => exception switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };

    public static bool IsNotFound(Exception exception) => StatusOf(exception) == HttpStatusCode.NotFound;

    public static bool IsConflict(Exception exception) => StatusOf(exception) == HttpStatusCode.Conflict;

    /// <summary>The resource version a watch resumed from is too old: list again.</summary>
    public static bool IsGone(Exception exception) => StatusOf(exception) == HttpStatusCode.Gone;
}
