using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes.Controller;

namespace DaskGateway.Kubernetes.Controller;

public sealed class ClusterConfigReaderTests
{
    [Fact]
    public void Reads_the_snake_case_config_upstream_writes_and_reports_unknown_keys()
    {
        var spec = JsonNode.Parse("""
            {"image": "ghcr.io/dask/dask-gateway:2026.3.0", "namespace": "ns1", "worker_cores": 2, "worker_memory": 4294967296,
             "worker_extra_pod_config": {"nodeSelector": {"pool": "dask"}}, "scheduler_cmd": "dask-scheduler",
             "adaptive_period": 3.0, "idle_timeout": 0, "something_new": 1}
            """)!.AsObject();

        var config = new ClusterConfigReader().TryRead(spec, out var problems, out var unknown);

        Assert.Empty(problems);
        Assert.NotNull(config);
        Assert.Equal("ghcr.io/dask/dask-gateway:2026.3.0", config.Image);
        Assert.Equal(2, config.WorkerCores);
        Assert.Equal(4294967296, config.WorkerMemory.Bytes);
        Assert.Equal(["dask-scheduler"], config.SchedulerCmd);
        Assert.True(config.WorkerExtraPodConfig.ContainsKey("nodeSelector"));
        Assert.Equal(["something_new"], unknown);
    }

    [Fact]
    public void A_malformed_config_is_a_problem_not_an_exception()
    {
        var spec = JsonNode.Parse("""{"worker_cores": "many", "image_pull_policy": "Sometimes"}""")!.AsObject();

        var config = new ClusterConfigReader().TryRead(spec, out var problems, out _);

        Assert.Null(config);
        Assert.Equal(2, problems.Count);
    }
}
