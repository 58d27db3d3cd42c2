using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

public sealed class DaskClusterStatusSubresourceTests
{
    private const string Group = "gateway.dask.org";
    private const string Version = "v1alpha1";
    private const string Plural = "daskclusters";

    [Fact]
    public async Task Status_is_dropped_on_create_and_written_only_through_the_status_subresource()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var crs = cluster.Client.CustomObjects;

        var created = await crs.CreateNamespacedCustomObjectAsync<JsonObject>(DaskCluster("abc"), Group, Version, "default", Plural, cancellationToken: ct);
        Assert.Null(created["status"]);
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());

        var withStatus = await crs.PatchNamespacedCustomObjectStatusAsync<JsonObject>(
            new V1Patch("""[{"op":"add","path":"/status","value":{"phase":"Running"}},{"op":"add","path":"/spec/replicas","value":9}]""", V1Patch.PatchType.JsonPatch),
            Group, Version, "default", Plural, "abc", cancellationToken: ct);
        Assert.Equal("Running", withStatus["status"]!["phase"]!.GetValue<string>());
        Assert.Null(withStatus["spec"]!["replicas"]);

        var withSpec = await crs.PatchNamespacedCustomObjectAsync<JsonObject>(
            new V1Patch("""{"spec":{"replicas":2},"status":{"phase":"Failed"}}""", V1Patch.PatchType.MergePatch),
            Group, Version, "default", Plural, "abc", cancellationToken: ct);
        Assert.Equal(2, withSpec["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("Running", withSpec["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(2, withSpec["metadata"]!["generation"]!.GetValue<long>());

        var stopped = await crs.PatchNamespacedCustomObjectAsync<JsonObject>(
            new V1Patch("""[{"op":"add","path":"/spec/active","value":false}]""", V1Patch.PatchType.JsonPatch),
            Group, Version, "default", Plural, "abc", cancellationToken: ct);
        Assert.False(stopped["spec"]!["active"]!.GetValue<bool>());

        stopped["status"]!["phase"] = "Stopped";
        var replaced = await crs.ReplaceNamespacedCustomObjectAsync<JsonObject>(stopped, Group, Version, "default", Plural, "abc", cancellationToken: ct);
        Assert.Equal("Running", replaced["status"]!["phase"]!.GetValue<string>());
    }

    [Fact]
    public async Task Custom_objects_list_by_label_and_refuse_strategic_merge_patches()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var crs = cluster.Client.CustomObjects;
        await crs.CreateNamespacedCustomObjectAsync<JsonObject>(DaskCluster("one"), Group, Version, "default", Plural, cancellationToken: ct);
        var other = DaskCluster("two");
        other["metadata"]!["labels"]!["gateway.dask.org/instance"] = "other";
        await crs.CreateNamespacedCustomObjectAsync<JsonObject>(other, Group, Version, "default", Plural, cancellationToken: ct);

        var list = await crs.ListNamespacedCustomObjectAsync<JsonObject>(Group, Version, "default", Plural, labelSelector: "gateway.dask.org/instance=gw", cancellationToken: ct);

        var item = Assert.Single(list["items"]!.AsArray());
        Assert.Equal("one", item!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("DaskClusterList", list["kind"]!.GetValue<string>());
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => crs.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"replicas":1}}""", V1Patch.PatchType.StrategicMergePatch), Group, Version, "default", Plural, "one", cancellationToken: ct));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, error.Response.StatusCode);
    }

    internal static JsonObject DaskCluster(string name) => new()
    {
        ["apiVersion"] = $"{Group}/{Version}",
        ["kind"] = "DaskCluster",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["gateway.dask.org/instance"] = "gw", ["gateway.dask.org/cluster"] = name },
        },
        ["spec"] = new JsonObject { ["username"] = "alice", ["options"] = new JsonObject() },
        ["status"] = new JsonObject { ["phase"] = "Running" },
    };
}
