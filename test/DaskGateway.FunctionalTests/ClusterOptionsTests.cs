using System.Net;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

public sealed class ClusterOptionsTests
{
    private static Options UpstreamExample() => new(
        Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
        Option.Float("worker_memory", 1, min: 1, max: 8, label: "Worker Memory (GiB)"),
        Option.Select("profile", ["small", "large"], label: "Profile"),
        Option.String("queue", "default"),
        Option.Bool("keep"),
        Option.Mapping("env"),
        handler: (options, user) => new Dictionary<string, object?>
        {
            ["worker_cores"] = options["worker_cores"],
            ["worker_memory"] = $"{options.GetFloat("worker_memory")} G",
            ["environment"] = options["env"],
        });

    [Fact]
    public async Task Options_AreServedAsTheClientExpects()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", UpstreamExample()));
        using var alice = gateway.Client("alice");

        var body = await alice.GetJsonAsync("api/v1/options");

        Assert.Equal(
            """{"cluster_options":[{"field":"worker_cores","label":"Worker Cores","default":1,"spec":{"type":"int","min":1,"max":4}},"""
            + """{"field":"worker_memory","label":"Worker Memory (GiB)","default":1.0,"spec":{"type":"float","min":1.0,"max":8.0}},"""
            + """{"field":"profile","label":"Profile","default":"small","spec":{"type":"select","options":["small","large"]}},"""
            + """{"field":"queue","label":"queue","default":"default","spec":{"type":"string"}},"""
            + """{"field":"keep","label":"keep","default":false,"spec":{"type":"bool"}},"""
            + """{"field":"env","label":"env","default":{},"spec":{"type":"mapping"}}]}""",
            body.ToJsonString());
    }

    [Fact]
    public async Task NoOptions_IsAnEmptyList()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");

        Assert.Equal("""{"cluster_options":[]}""", (await alice.GetJsonAsync("api/v1/options")).ToJsonString());
    }

    [Fact]
    public async Task CreatedCluster_ReportsItsOptionsWithDefaults_AndGetsTheHandlersSettings()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", UpstreamExample()));
        using var alice = gateway.Client("alice");

        var name = await alice.CreateClusterAsync(new Dictionary<string, object?> { ["worker_cores"] = 2, ["profile"] = "large", ["env"] = new { A = "1" } });

        var cluster = await alice.GetJsonAsync($"api/v1/clusters/{name}");
        Assert.Equal(
            """{"worker_cores":2,"worker_memory":1.0,"profile":"large","queue":"default","keep":false,"env":{"A":"1"}}""",
            cluster["options"]!.ToJsonString());
        var config = gateway.ActiveClusters().Single().Config;
        Assert.Equal(2, config.WorkerCores);
        Assert.Equal(1L << 30, config.WorkerMemory.Bytes);
        Assert.Equal("1", config.Environment["A"]);
    }

    [Fact]
    public async Task OptionsPerUser_AreAFunctionOfTheUser()
    {
        Func<User, Options> perUser = user => new Options(Option.Integer("worker_cores", 1, min: 1, max: user.Name == "alice" ? 8 : 2));
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", perUser));
        using var alice = gateway.Client("alice");
        using var bob = gateway.Client("bob");

        Assert.Equal(8, (await alice.GetJsonAsync("api/v1/options"))["cluster_options"]![0]!["spec"]!["max"]!.GetValue<int>());
        Assert.Equal(2, (await bob.GetJsonAsync("api/v1/options"))["cluster_options"]![0]!["spec"]!["max"]!.GetValue<int>());
        using var tooMany = await bob.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { worker_cores = 4 } });
        Assert.Equal("worker_cores must be <= 2.000000, got 4", await GatewayClient.ReadErrorAsync(tooMany, HttpStatusCode.UnprocessableEntity));
    }

    public static TheoryData<string, string> InvalidOptions => new()
    {
        { """{"cluster_options": {"extra": 1, "zz": 2}}""", "Unknown fields ['extra', 'zz']" },
        { """{"cluster_options": {"worker_cores": "2"}}""", "worker_cores must be an integer, got '2'" },
        { """{"cluster_options": {"worker_cores": 9}}""", "worker_cores must be <= 4.000000, got 9" },
        { """{"cluster_options": {"worker_cores": 2.0}}""", "worker_cores must be an integer, got 2.0" },
        { """{"cluster_options": {"worker_memory": "big"}}""", "worker_memory must be a float, got 'big'" },
        { """{"cluster_options": {"worker_memory": 0.5}}""", "worker_memory must be >= 1.000000, got 0.5" },
        { """{"cluster_options": {"profile": "medium"}}""", "'medium' is not a valid option for profile" },
        { """{"cluster_options": {"keep": "yes"}}""", "keep must be a bool, got 'yes'" },
        { """{"cluster_options": {"env": [1, 2]}}""", "env must be a mapping, got [1, 2]" },
        { """{"cluster_options": [1]}""", "options must be a dict, got list" },
        { """{"cluster_options": "x"}""", "options must be a dict, got str" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task InvalidOptions_Are422WithUpstreamsMessage_AndCreateNothing(string body, string message)
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", UpstreamExample()));
        using var alice = gateway.Client("alice");

        using var response = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/", body);

        Assert.Equal(message, await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity));
        Assert.Empty(gateway.ActiveClusters());
    }

    [Fact]
    public async Task HandlerErrors_Are422WithTheirMessage()
    {
        var options = new Options(Option.Integer("n"), handler: (_, user) => throw new InvalidOptionsException($"{user.Name} may not do that"));
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", options));
        using var alice = gateway.Client("alice");

        using var response = await alice.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } });

        Assert.Equal("alice may not do that", await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task HandlerSettingsOfTheWrongType_Are422()
    {
        var options = new Options(Option.String("memory", "lots"), handler: values => new Dictionary<string, object?> { ["worker_memory"] = values["memory"] });
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", options));
        using var alice = gateway.Client("alice");

        using var response = await alice.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } });

        var message = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.StartsWith("worker_memory expects a memory size", message, StringComparison.Ordinal);
        Assert.Contains("'lots'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchedulerLargerThanTheClusterLimit_Is422()
    {
        var options = new Options(Option.Float("scheduler_memory", 1, target: "scheduler_memory"), handler: values => new Dictionary<string, object?>
        {
            ["scheduler_memory"] = $"{values.GetFloat("scheduler_memory")} G",
            ["cluster_max_memory"] = "1 G",
        });
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", options));
        using var alice = gateway.Client("alice");

        using var response = await alice.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { scheduler_memory = 2 } });

        Assert.Equal("Scheduler memory request of 2.00 GiB exceeds cluster memory limit of 1024.00 MiB", await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task MissingOrNullClusterOptions_MeanDefaults()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", UpstreamExample()));
        using var alice = gateway.Client("alice");

        using var missing = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/", "{}");
        using var isNull = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/", """{"cluster_options": null}""");

        Assert.Equal(HttpStatusCode.Created, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Created, isNull.StatusCode);
    }
}
