using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>Serves the Kubernetes REST API over the store: one request in, the real server's answer out.</summary>
internal sealed class ApiRequestHandler(FakeObjectStore store, FakeKubernetesApiServerOptions options, FaultInjector faults, RequestLog log, CancellationToken stopping)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var body = await ReadBodyAsync(request, context.RequestAborted);
        var route = ApiRoute.Parse(request.Path.Value ?? "/", store);
        var query = request.Query;
        var watch = query["watch"].ToString() is "true" or "1";
        var entry = new FakeRequest(
            request.Method,
            request.Path.Value ?? "/",
            request.QueryString.Value ?? "",
            request.ContentType,
            DateTimeOffset.UtcNow,
            route.Verb(request.Method, watch),
            route.Plural,
            route.Namespace,
            route.Name,
            route.Subresource,
            body);
        log.Add(entry);
        if (faults.TryTake(entry) is { } code)
        {
            await WriteInjectedFaultAsync(context, code);
            return;
        }
        try
        {
            await DispatchAsync(context, route, entry, body);
        }
        catch (ApiStatusException refusal)
        {
            await WriteJsonAsync(context, refusal.Code, refusal.Body);
        }
        catch (Exception bug) when (bug is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A bug in the fake: say what it was in the Status, where the failing test will show it.
            await WriteJsonAsync(context, 500, StatusBodies.Failure(500, "InternalError", $"the fake API server failed: {bug}"));
        }
    }

    private async Task DispatchAsync(HttpContext context, ApiRoute route, FakeRequest entry, string? body)
    {
        if (route.Resource is not { } resource)
        {
            await DispatchNonResourceAsync(context, entry);
            return;
        }
        var query = context.Request.Query;
        var ns = route.Namespace ?? "";
        var name = route.Name ?? "";
        var statusOnly = route.Subresource == "status";
        if (route.Subresource is not null && !(statusOnly && resource.HasStatusSubresource))
        {
            throw NotServed();
        }
        switch (entry.Verb)
        {
            case "list":
                await WriteJsonAsync(context, 200, store.ListAsApi(resource, route.Namespace, Labels(query), Fields(query), Limit(query), query["continue"]));
                break;
            case "watch":
                await WatchAsync(context, resource, route.Namespace);
                break;
            case "get":
                await WriteJsonAsync(context, 200, store.GetOrThrow(resource, ns, name));
                break;
            case "create" when !statusOnly:
                await WriteJsonAsync(context, 201, store.Create(resource, ns, ParseObject(body)));
                break;
            case "update":
                await WriteJsonAsync(context, 200, store.Replace(resource, ns, name, ParseObject(body), statusOnly));
                break;
            case "patch":
                var apply = PatchFor(resource, context.Request.ContentType, body);
                await WriteJsonAsync(context, 200, store.Patch(resource, ns, name, apply, statusOnly));
                break;
            case "delete" when !statusOnly:
                var deleteOptions = string.IsNullOrWhiteSpace(body) ? null : ParseObject(body);
                await WriteJsonAsync(context, 200, store.DeleteAsApi(resource, ns, name, deleteOptions, query["propagationPolicy"].FirstOrDefault()));
                break;
            case "deletecollection":
                await WriteJsonAsync(context, 200, DeleteCollection(resource, route.Namespace, query));
                break;
            default:
                throw new ApiStatusException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }
    }

    private JsonObject DeleteCollection(FakeApiResource resource, string? ns, IQueryCollection query)
    {
        var list = store.ListAsApi(resource, ns, Labels(query), Fields(query), null, null);
        var deleted = new JsonArray();
        foreach (var item in ((JsonArray)list["items"]!).OfType<JsonObject>())
        {
            var metadata = item["metadata"]!;
            if (store.Delete(resource, metadata["namespace"]?.GetValue<string>(), metadata["name"]!.GetValue<string>()))
            {
                deleted.Add(item.DeepClone());
            }
        }
        list["items"] = deleted;
        return list;
    }

    private static async Task DispatchNonResourceAsync(HttpContext context, FakeRequest entry)
    {
        if (entry.Method == "GET" && entry.Path == "/version")
        {
            await WriteJsonAsync(context, 200, new JsonObject
            {
                ["major"] = "1",
                ["minor"] = "33",
                ["gitVersion"] = "v1.33.0-fake",
                ["platform"] = "linux/amd64",
            });
            return;
        }
        throw NotServed();
    }

    /// <summary>
    /// Streams watch events as newline-delimited JSON, flushing after each so the client sees it at once. The
    /// stream ends cleanly at <c>timeoutSeconds</c>, on <see cref="FakeObjectStore.CloseWatches"/> or when the
    /// server stops; an abort cuts the connection instead.
    /// </summary>
    private async Task WatchAsync(HttpContext context, FakeApiResource resource, string? ns)
    {
        var query = context.Request.Query;
        var response = context.Response;
        WatchSubscription subscription;
        try
        {
            subscription = store.Watch(resource, ns, Labels(query), Fields(query), query["resourceVersion"], query["allowWatchBookmarks"] == "true");
        }
        catch (ApiStatusException expired) when (expired.Code == 410 && !options.RefuseStaleWatchesWithHttpGone)
        {
            // A real server accepts the watch and then reports the expiry as its only event.
            response.StatusCode = 200;
            response.ContentType = "application/json";
            await response.WriteAsync($"{{\"type\":\"ERROR\",\"object\":{expired.Body.ToJsonString()}}}\n", context.RequestAborted);
            return;
        }
        try
        {
            response.StatusCode = 200;
            response.ContentType = "application/json";
            // The client returns from its call once headers arrive, so they go out before any event does.
            await response.StartAsync(context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            using var timeout = new CancellationTokenSource();
            if (int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
            }
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, timeout.Token, stopping);
            await foreach (var line in subscription.Lines.ReadAllAsync(ending.Token))
            {
                await response.WriteAsync(line + "\n", ending.Token);
                await response.Body.FlushAsync(ending.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Timeout, client gone, or server stopping: the stream simply ends.
        }
        catch (IOException)
        {
            // The client went away mid-write.
        }
        finally
        {
            store.StopWatching(subscription);
        }
        if (subscription.Aborted)
        {
            context.Abort();
        }
    }

    private static Func<JsonObject, JsonObject> PatchFor(FakeApiResource resource, string? contentType, string? body)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body ?? "");
        }
        catch (JsonException error)
        {
            throw ApiStatusException.BadRequest($"error decoding patch: {error.Message}");
        }
        return mediaType switch
        {
            "application/json-patch+json" when patch is JsonArray operations =>
                current => JsonPatch.Apply(current, operations) as JsonObject ?? throw ApiStatusException.BadRequest("the patched document is not an object"),
            "application/json-patch+json" => throw ApiStatusException.BadRequest("a JSON patch must be an array of operations"),
            "application/strategic-merge-patch+json" when resource.IsCustom =>
                throw new ApiStatusException(415, "UnsupportedMediaType", "strategic merge patch is not supported for custom resources; use a JSON or merge patch"),
            "application/merge-patch+json" or "application/strategic-merge-patch+json" when patch is JsonObject =>
                current => (JsonObject)MergePatch.Apply(current, patch)!,
            "application/merge-patch+json" or "application/strategic-merge-patch+json" => throw ApiStatusException.BadRequest("a merge patch must be an object"),
            _ => throw new ApiStatusException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (the fake does not implement {mediaType})"),
        };
    }

    private static JsonObject ParseObject(string? body)
    {
        try
        {
            return JsonNode.Parse(body ?? "") as JsonObject ?? throw ApiStatusException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException error)
        {
            throw ApiStatusException.BadRequest($"the request body is not valid JSON: {error.Message}");
        }
    }

    private static LabelSelector Labels(IQueryCollection query) => LabelSelector.Parse(query["labelSelector"]);

    private static FieldSelector Fields(IQueryCollection query) => FieldSelector.Parse(query["fieldSelector"]);

    private static int? Limit(IQueryCollection query) =>
        int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) ? limit : null;

    private static ApiStatusException NotServed() => new(404, "NotFound", "the server could not find the requested resource");

    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return null;
        }
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static async Task WriteInjectedFaultAsync(HttpContext context, int code)
    {
        var details = new JsonObject();
        if (code == 429)
        {
            // As a real server's priority-and-fairness rejection: the client is told when to come back.
            context.Response.Headers.RetryAfter = "1";
            details["retryAfterSeconds"] = 1;
        }
        await WriteJsonAsync(context, code, StatusBodies.Failure(code, StatusBodies.ReasonFor(code), $"injected fault: {StatusBodies.ReasonFor(code)}", details));
    }

    private static async Task WriteJsonAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
