using DaskGateway.Clusters;

namespace DaskGateway.Tests.Clusters;

public sealed class ClusterTransitionTests
{
    private static Cluster NewCluster() => new("c", "alice", "token", new Dictionary<string, object?>(), new ClusterConfig(), 0);

    private static Heartbeat Beat(int count, string[]? active = null, string[]? closing = null, string[]? closed = null) =>
        new("tls://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", count, active ?? [], closing ?? [], closed ?? []);

    [Fact]
    public void StopRequest_IsTakenOnce()
    {
        var cluster = NewCluster();

        Assert.True(cluster.TryRequestStop(JobStatus.Failed));
        Assert.False(cluster.TryRequestStop(JobStatus.Stopped));
        Assert.Equal(new JobPhase(JobStatus.Created, JobStatus.Failed), cluster.Phase());
        Assert.Null(cluster.ApplyHeartbeat(Beat(1), 5));
    }

    [Fact]
    public void FirstHeartbeat_TeachesTheAddresses_ThenTheClusterCanRun()
    {
        var cluster = NewCluster();
        cluster.MarkSubmitted();
        Assert.False(cluster.TryMarkRunning(1, routes: null));

        var changes = cluster.ApplyHeartbeat(Beat(2), 7)!;

        Assert.True(changes.ClusterChanged);
        Assert.Equal(("tls://127.0.0.1:1", 2, 7L), (cluster.SchedulerAddress, cluster.Count, cluster.LastHeartbeat));
        Assert.True(cluster.TryMarkRunning(8, routes: null));
        Assert.Equal(JobStatus.Running, cluster.Status);
        Assert.False(cluster.ApplyHeartbeat(Beat(2), 9)!.ClusterChanged);
    }

    [Fact]
    public void WorkerNews_AreApplied_AndSurplusPendingWorkersAreStopped()
    {
        var cluster = NewCluster();
        cluster.MarkSubmitted();
        cluster.ApplyHeartbeat(Beat(4), 1);
        var (created, moreMissing) = cluster.AddMissingWorkers(limit: 10, now: 1);
        Assert.Equal(4, created.Count);
        Assert.False(moreMissing);
        var (a, b, c, d) = (created[0], created[1], created[2], created[3]);
        Assert.True(a.MarkSubmitted());
        a.Status = JobStatus.Running;
        cluster.WorkerStartFailures = 2;

        // b joins, a vanished, c and d are still pending but the scheduler wants only one worker.
        var changes = cluster.ApplyHeartbeat(Beat(1, active: [b.Name]), 2)!;

        Assert.Equal(a.Name, changes.LostWorkers);
        Assert.Equal(new JobPhase(JobStatus.Running, JobStatus.Failed), a.Phase());
        Assert.Equal(new JobPhase(JobStatus.Running, JobStatus.Running), b.Phase());
        Assert.Equal(0, cluster.WorkerStartFailures);
        Assert.All([c, d], w => Assert.Equal(new JobPhase(JobStatus.Created, JobStatus.Stopped), w.Phase()));
        Assert.All([c, d], w => Assert.True(w.CloseExpected));
        Assert.Equal(4, changes.ChangedWorkers.Count);

        // b retires on purpose: closing, then closed, ends as STOPPED rather than FAILED.
        cluster.ApplyHeartbeat(Beat(0, closing: [b.Name]), 3);
        cluster.ApplyHeartbeat(Beat(0, closed: [b.Name]), 4);
        Assert.Equal(JobStatus.Stopped, b.Target);
        Assert.False(b.MarkStopped(JobStatus.Stopped, 5));
    }

    [Fact]
    public void WorkerStartFailures_CountOnlyForWantedWorkers()
    {
        var cluster = NewCluster();
        cluster.ApplyHeartbeat(Beat(1), 1);
        var worker = Assert.Single(cluster.AddMissingWorkers(limit: 10, now: 1).Created);

        Assert.True(worker.TryFailStart());
        Assert.False(worker.TryFailStart());
        Assert.False(worker.TryMarkLost());
        Assert.Equal(1, cluster.WorkerStartFailures);

        // The cluster still wants its worker: the failed one's end has the cluster look again, to replace it.
        Assert.True(worker.MarkStopped(JobStatus.Failed, 2));
    }

    [Fact]
    public void Closing_StopsEveryWantedWorker_AndTheLastStopFinishesTheCluster()
    {
        var cluster = NewCluster();
        cluster.ApplyHeartbeat(Beat(2), 1);
        var created = cluster.AddMissingWorkers(limit: 10, now: 1).Created;
        Assert.True(cluster.TryRequestStop(JobStatus.Stopped));

        Assert.Equal(created, cluster.BeginClosing());
        Assert.Equal(JobStatus.Closing, cluster.Status);
        Assert.False(created[0].MarkStopped(JobStatus.Stopped, 2));
        Assert.False(cluster.AllWorkersStopped);
        Assert.True(created[1].MarkStopped(JobStatus.Stopped, 3));
        Assert.True(cluster.AllWorkersStopped);

        cluster.MarkStopped(JobStatus.Stopped, 4, routes: null);
        Assert.Equal((JobStatus.Stopped, 4L), (cluster.Status, cluster.StopTime));
    }
}
