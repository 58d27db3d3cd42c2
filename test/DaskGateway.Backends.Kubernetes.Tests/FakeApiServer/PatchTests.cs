using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class PatchTests
{
    [Fact]
    public async Task Json_patches_add_replace_move_and_remove_and_a_failed_test_refuses_the_whole_patch()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        await core.CreateNamespacedPodAsync(FakeCluster.Pod("p", new Dictionary<string, string> { ["a"] = "1", ["b/c"] = "2" }), "default", cancellationToken: ct);

        var patched = await core.PatchNamespacedPodAsync(new V1Patch("""
            [{"op":"replace","path":"/metadata/labels/a","value":"one"},
             {"op":"move","from":"/metadata/labels/b~1c","path":"/metadata/labels/moved"},
             {"op":"add","path":"/spec/containers/-","value":{"name":"second","image":"img"}},
             {"op":"remove","path":"/spec/containers/0"}]
            """, V1Patch.PatchType.JsonPatch), "p", "default", cancellationToken: ct);

        Assert.Equal(new Dictionary<string, string> { ["a"] = "one", ["moved"] = "2" }, patched.Metadata.Labels);
        Assert.Equal(["second"], patched.Spec.Containers.Select(c => c.Name));
        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => core.PatchNamespacedPodAsync(new V1Patch("""
            [{"op":"add","path":"/metadata/labels/x","value":"y"},{"op":"test","path":"/metadata/labels/a","value":"1"}]
            """, V1Patch.PatchType.JsonPatch), "p", "default", cancellationToken: ct));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Response.StatusCode);
        Assert.DoesNotContain("x", (await core.ReadNamespacedPodAsync("p", "default", cancellationToken: ct)).Metadata.Labels.Keys);
    }

    [Fact]
    public async Task Merge_patches_remove_members_set_to_null_and_replace_lists()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var core = cluster.Client.CoreV1;
        var pod = FakeCluster.Pod("p", new Dictionary<string, string> { ["keep"] = "1", ["drop"] = "2" });
        pod.Spec.Containers.Add(new V1Container { Name = "extra", Image = "img" });
        await core.CreateNamespacedPodAsync(pod, "default", cancellationToken: ct);

        var patched = await core.PatchNamespacedPodAsync(new V1Patch("""
            {"metadata":{"labels":{"drop":null,"new":"3"}},"spec":{"containers":[{"name":"only","image":"img"}]}}
            """, V1Patch.PatchType.MergePatch), "p", "default", cancellationToken: ct);

        Assert.Equal(new Dictionary<string, string> { ["keep"] = "1", ["new"] = "3" }, patched.Metadata.Labels);
        Assert.Equal(["only"], patched.Spec.Containers.Select(c => c.Name));
    }
}
