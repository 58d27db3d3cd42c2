using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Tests.Clusters;

public sealed class ClusterConfigTests
{
    [Fact]
    public void WorkerLimit_IsTheDefaultCapWithoutLimits()
    {
        Assert.Equal(1000, new ClusterConfig().WorkerLimit);
        Assert.Equal(7, new ClusterConfig { DefaultClusterMaxWorkers = 7 }.WorkerLimit);
    }

    [Fact]
    public void WorkerLimit_ExplicitMaxWorkersReplacesTheDefaultCap()
    {
        Assert.Equal(5000, new ClusterConfig { ClusterMaxWorkers = 5000 }.WorkerLimit);
    }

    [Fact]
    public void WorkerLimit_DerivedLimitsBelowTheDefaultCapStillApply()
    {
        var config = new ClusterConfig { ClusterMaxCores = 1_000_000, WorkerCores = 1, SchedulerCores = 1 };

        Assert.Equal(1000, config.WorkerLimit);
    }

    [Fact]
    public void WorkerLimit_DerivesFromCores()
    {
        var config = new ClusterConfig { ClusterMaxCores = 6, WorkerCores = 2, SchedulerCores = 1 };

        Assert.Equal(2, config.WorkerLimit);
    }

    [Fact]
    public void WorkerLimit_DerivesFromMemory()
    {
        var config = new ClusterConfig { ClusterMaxMemory = MemorySize.Parse("6G"), WorkerMemory = MemorySize.Parse("2G"), SchedulerMemory = MemorySize.Parse("1G") };

        Assert.Equal(2, config.WorkerLimit);
    }

    [Theory]
    [InlineData(10, 2)]
    [InlineData(1, 1)]
    public void WorkerLimit_IsTheSmallestOfExplicitAndDerived(int explicitLimit, int expected)
    {
        var config = new ClusterConfig
        {
            ClusterMaxCores = 6,
            WorkerCores = 2,
            SchedulerCores = 1,
            ClusterMaxMemory = MemorySize.Parse("6G"),
            WorkerMemory = MemorySize.Parse("2G"),
            SchedulerMemory = MemorySize.Parse("1G"),
            ClusterMaxWorkers = explicitLimit,
        };

        Assert.Equal(expected, config.WorkerLimit);
    }

    [Fact]
    public void WorkerLimit_IsNeverNegative()
    {
        var config = new ClusterConfig { ClusterMaxCores = 0.5, SchedulerCores = 1 };

        Assert.Equal(0, config.WorkerLimit);
    }

    [Fact]
    public void Validate_SchedulerLargerThanCluster_GivesUpstreamsMessages()
    {
        var config = new ClusterConfig
        {
            SchedulerMemory = MemorySize.Parse("2G"),
            ClusterMaxMemory = MemorySize.Parse("1.5G"),
            SchedulerCores = 2,
            ClusterMaxCores = 1,
        };

        Assert.Equal(
            [
                "Scheduler memory request of 2.00 GiB exceeds cluster memory limit of 1.50 GiB",
                "Scheduler cores request of 2.0 exceeds cluster cores limit of 1.0",
            ],
            config.Validate());
    }

    [Theory]
    [InlineData(1.0, null, 1)]
    [InlineData(2.9, null, 2)]
    [InlineData(0.5, null, 1)]
    [InlineData(4.0, 2, 2)]
    public void EffectiveWorkerThreads_DerivesFromCores(double cores, int? threads, int expected)
    {
        Assert.Equal(expected, new ClusterConfig { WorkerCores = cores, WorkerThreads = threads }.EffectiveWorkerThreads);
    }
}
