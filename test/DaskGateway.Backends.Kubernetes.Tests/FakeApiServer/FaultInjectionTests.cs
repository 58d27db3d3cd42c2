using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class FaultInjectionTests
{
    [Fact]
    public async Task Injected_failures_answer_matching_requests_with_real_status_bodies_then_run_out()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        cluster.Server.FailNext(1, 500, request => request is { Verb: "create", Resource: "pods" });
        cluster.Server.FailNext(1, 429, request => request is { Verb: "create", Resource: "pods" });

        var internalError = await Assert.ThrowsAsync<HttpOperationException>(() => core.CreateNamespacedPodAsync(FakeCluster.Pod("p"), "default", cancellationToken: ct));
        var tooMany = await Assert.ThrowsAsync<HttpOperationException>(() => core.CreateNamespacedPodAsync(FakeCluster.Pod("p"), "default", cancellationToken: ct));
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("p"), "default", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.InternalServerError, internalError.Response.StatusCode);
        Assert.Contains("\"reason\":\"InternalError\"", internalError.Response.Content, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMany.Response.StatusCode);
        Assert.Equal("1", tooMany.Response.Headers["Retry-After"].Single());
        Assert.Equal(3, cluster.Server.Requests.Count(request => request is { Method: "POST", Resource: "pods" }));
        Assert.Single(cluster.Server.Objects.List(Kubernetes.Fake.FakeApiResource.Pods));
    }

    [Fact]
    public async Task An_injected_conflict_leaves_other_requests_alone()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var pod = await core.CreateNamespacedPodAsync(FakeCluster.Pod("p"), "default", cancellationToken: ct);
        cluster.Server.FailNext(1, 409, request => request.Verb == "update");

        await core.ReadNamespacedPodAsync("p", "default", cancellationToken: ct);
        var conflict = await Assert.ThrowsAsync<HttpOperationException>(() => core.ReplaceNamespacedPodAsync(pod, "p", "default", cancellationToken: ct));
        await core.ReplaceNamespacedPodAsync(pod, "p", "default", cancellationToken: ct);

        Assert.Equal(HttpStatusCode.Conflict, conflict.Response.StatusCode);
        var log = cluster.Server.Requests.Where(request => request.Resource == "pods").Select(request => request.Verb);
        Assert.Equal(["create", "get", "update", "update"], log);
    }
}
