using DaskGateway.Auth;
using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>The user's side of the API (protocol.md §1.3): options, and listing, creating, viewing, scaling, adapting and stopping clusters.</summary>
internal sealed class ClusterEndpoints
{
    private readonly ClusterApi _clusters;
    private readonly int _maxBodySize;

    public ClusterEndpoints(ClusterApi clusters, Hosting.GatewaySettings settings)
    {
        _clusters = clusters;
        _maxBodySize = settings.MaxRequestBodySize;
    }

    public async Task<ApiResponse> GetOptionsAsync(User user)
    {
        var options = await _clusters.GetOptionsAsync(user);
        if (options.Error is { } error)
        {
            return ApiResponse.Error(error);
        }

        return ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("cluster_options");
            options.Value!.WriteSpecification(writer);
            writer.WriteEndObject();
        });
    }

    public Task<ApiResponse> ListAsync(HttpContext context, User user)
    {
        if (!ApiRequests.TryReadStatuses(context.Request.Query, out var statuses, out var problem))
        {
            return Task.FromResult(ApiResponse.Error(422, problem));
        }

        if (!ApiRequests.TryReadFlag(context.Request.Query, "all", out var allUsers, out problem))
        {
            return Task.FromResult(ApiResponse.Error(422, problem));
        }

        var listed = _clusters.List(user, statuses, allUsers);
        if (listed.Error is { } error)
        {
            return Task.FromResult(ApiResponse.Error(error));
        }

        return Task.FromResult(ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            foreach (var cluster in listed.Value!)
            {
                writer.WritePropertyName(cluster.Name);
                ClusterJson.Write(writer, cluster, withOwner: allUsers);
            }

            writer.WriteEndObject();
        }));
    }

    public async Task<ApiResponse> CreateAsync(HttpContext context, User user)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        body!.TryGetValue("cluster_options", out var requested);
        var created = await _clusters.CreateAsync(user, requested ?? new Dictionary<string, object?>(), context.RequestAborted);
        if (created.Error is { } createError)
        {
            return ApiResponse.Error(createError);
        }

        return ApiResponse.Json(201, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name", created.Value);
            writer.WriteEndObject();
        });
    }

    public async Task<ApiResponse> GetAsync(HttpContext context, User user, string name)
    {
        var cluster = await _clusters.GetAsync(user, name, ApiRequests.WantsWait(context.Request.Query), context.RequestAborted);
        return cluster.Error is { } error
            ? ApiResponse.Error(error)
            : ApiResponse.Json(200, writer => ClusterJson.Write(writer, cluster.Value!));
    }

    public async Task<ApiResponse> StopAsync(HttpContext context, User user, string name)
    {
        var error = await _clusters.StopAsync(user, name, context.RequestAborted);
        return error is null ? ApiResponse.Empty(StatusCodes.Status204NoContent) : ApiResponse.Error(error);
    }

    public async Task<ApiResponse> ScaleAsync(HttpContext context, User user, string name)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        body!.TryGetValue("count", out var count);
        if (!ApiRequests.TryGetWorkerCount(count, out var workers))
        {
            return ApiResponse.Error(422, $"Scale expects a non-negative integer, got {PythonFormat.Str(count)}");
        }

        return ScaleReplyResponse(await _clusters.ScaleAsync(user, name, workers, context.RequestAborted));
    }

    public async Task<ApiResponse> AdaptAsync(HttpContext context, User user, string name)
    {
        var (body, error) = await RequestBody.ReadObjectAsync(context, _maxBodySize);
        if (error is { } bodyError)
        {
            return bodyError;
        }

        if (!ApiRequests.TryReadAdapt(body!, out var request, out var problem))
        {
            return ApiResponse.Error(422, problem);
        }

        return ScaleReplyResponse(await _clusters.AdaptAsync(user, name, request, context.RequestAborted));
    }

    /// <summary>The cluster's timeline (our route; the client never reads it): <c>{"events": [{"time", "kind", "message"}]}</c>.</summary>
    public async Task<ApiResponse> GetEventsAsync(HttpContext context, User user, string name)
    {
        var events = await _clusters.GetEventsAsync(user, name, context.RequestAborted);
        return events.Error is { } error
            ? ApiResponse.Error(error)
            : ApiResponse.Json(200, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("events");
                foreach (var clusterEvent in events.Value!)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("time", clusterEvent.Time);
                    writer.WriteString("kind", clusterEvent.Kind);
                    writer.WriteString("message", clusterEvent.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            });
    }

    private static ApiResponse ScaleReplyResponse(ClusterResult<ScaleReply> result) => result.Error is { } error
        ? ApiResponse.Error(error)
        : ApiResponse.Json(200, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", result.Value!.Ok);
            if (result.Value.Message is { } message)
            {
                writer.WriteString("msg", message);
            }
            else
            {
                writer.WriteNull("msg");
            }

            writer.WriteEndObject();
        });
}
