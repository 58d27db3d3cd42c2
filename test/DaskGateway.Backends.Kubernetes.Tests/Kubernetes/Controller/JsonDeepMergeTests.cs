using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes.Controller;

namespace DaskGateway.Kubernetes.Controller;

public sealed class JsonDeepMergeTests
{
    [Theory]
    [InlineData("""{"a":{"b":1,"c":2}}""", """{"a":{"c":3,"d":4}}""", """{"a":{"b":1,"c":3,"d":4}}""")]
    [InlineData("""{"a":[1,2]}""", """{"a":[3]}""", """{"a":[1,2,3]}""")]
    [InlineData("""{"a":"x","b":true}""", """{"a":"y"}""", """{"a":"y","b":true}""")]
    [InlineData("""{"a":{"b":1}}""", """{"a":"flat"}""", """{"a":"flat"}""")]
    [InlineData("""{"a":[1]}""", """{"a":{"b":1}}""", """{"a":{"b":1}}""")]
    [InlineData("""{"a":1}""", """{"a":null}""", """{"a":null}""")]
    public void Objects_merge_lists_append_scalars_are_replaced(string baseJson, string extraJson, string expected)
    {
        var baseNode = JsonNode.Parse(baseJson);
        var extra = JsonNode.Parse(extraJson);

        var merged = JsonDeepMerge.Merge(baseNode, extra);

        Assert.Equal(expected, merged!.ToJsonString());
        Assert.Equal(baseJson, baseNode!.ToJsonString());
        Assert.Equal(extraJson, extra!.ToJsonString());
    }
}
