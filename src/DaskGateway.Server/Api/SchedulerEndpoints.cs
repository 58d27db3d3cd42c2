using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>The scheduler's side of the API, authenticated by the cluster's token: heartbeats (protocol.md §3.5) and stopping its own cluster.</summary>
internal sealed class SchedulerEndpoints
{
    private readonly ClusterApi _clusters;
    private readonly int _maxBodySize;

    public SchedulerEndpoints(ClusterApi clusters, Hosting.GatewaySettings settings)
    {
        _clusters = clusters;
        _maxBodySize = settings.MaxRequestBodySize;
    }

    /// <summary>Stops the cluster when the request carries its token (the scheduler's idle timeout); false when it does not, for the user's path to answer.</summary>
    public async Task<bool> TryStopAsync(HttpContext context, string name)
    {
        if (!ApiRequests.TryGetToken(context, out var token)
            || await _clusters.CheckClusterTokenAsync(name, token, context.RequestAborted) != ClusterTokenCheck.Valid)
        {
            return false;
        }

        var error = await _clusters.StopBySchedulerAsync(name, context.RequestAborted);
        await (error is null ? ApiResponse.Empty(StatusCodes.Status204NoContent) : ApiResponse.Error(error)).WriteAsync(context);
        return true;
    }

    public async Task HeartbeatAsync(HttpContext context, string name)
    {
        // Both answers come before the body is read: nobody without the cluster's token, and no
        // heartbeat for a cluster that is gone, costs the gateway more than a token check.
        var check = ApiRequests.TryGetToken(context, out var token) ? await _clusters.CheckClusterTokenAsync(name, token, context.RequestAborted) : ClusterTokenCheck.Invalid;
        if (check == ClusterTokenCheck.Invalid)
        {
            context.Response.Headers.WWWAuthenticate = "token";
            await ApiResponse.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized");
            return;
        }

        if (check == ClusterTokenCheck.UnknownCluster)
        {
            await ApiResponse.Empty(StatusCodes.Status200OK).WriteAsync(context);
            return;
        }

        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            await bodyError.WriteAsync(context);
            return;
        }

        if (!HeartbeatReader.TryRead(body!, out var heartbeat, out var problem))
        {
            await ApiResponse.WriteErrorAsync(context, StatusCodes.Status422UnprocessableEntity, problem);
            return;
        }

        var refused = await _clusters.OnHeartbeatAsync(name, heartbeat, context.RequestAborted);
        await (refused is null ? ApiResponse.Empty(StatusCodes.Status200OK) : ApiResponse.Error(refused)).WriteAsync(context);
    }
}
