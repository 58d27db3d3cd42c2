using DaskGateway.Backends.Kubernetes;
using DaskGateway.Configuration;

namespace DaskGateway.Kubernetes;

public sealed class KubeClusterConfigTests
{
    [Fact]
    public void Limits_default_to_the_requests()
    {
        var config = new KubeClusterConfig { WorkerCores = 2, WorkerMemory = MemorySize.FromGiB(4) };

        Assert.Equal(2, config.EffectiveWorkerCoresLimit);
        Assert.Equal(MemorySize.FromGiB(4), config.EffectiveWorkerMemoryLimit);
        Assert.Empty(config.Validate());
    }

    [Fact]
    public void Limits_below_requests_and_unknown_pull_policies_are_refused()
    {
        var config = new KubeClusterConfig { WorkerCores = 2, WorkerCoresLimit = 1, SchedulerMemoryLimit = MemorySize.FromMiB(1), ImagePullPolicy = "Sometimes" };

        var problems = config.Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("worker_cores_limit", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("scheduler_memory_limit", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("IfNotPresent, Always or Never", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ns.abc", true, "ns", "abc")]
    [InlineData("abc", false, "", "")]
    [InlineData(".abc", false, "", "")]
    [InlineData("ns.", false, "ns", "")]
    [InlineData("a.b.c", false, "a", "b.c")]
    public void Cluster_names_are_namespace_dot_resource_name(string clusterName, bool valid, string expectedNamespace, string expectedName)
    {
        Assert.Equal(valid, DaskClusterNames.TrySplitClusterName(clusterName, out var @namespace, out var name));
        Assert.Equal(expectedNamespace, @namespace);
        Assert.Equal(expectedName, name);
    }
}
