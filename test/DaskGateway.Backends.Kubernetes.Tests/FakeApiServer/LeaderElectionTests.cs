using DaskGateway.Kubernetes.Fake;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace DaskGateway.FakeApiServer;

public sealed class LeaderElectionTests
{
    [Fact]
    public async Task Two_electors_never_lead_together_and_the_second_takes_over_when_the_first_stops_renewing()
    {
        await using var cluster = await FakeCluster.StartAsync();
        var ct = cluster.Timeout;
        var leaders = 0;
        var mostLeadersAtOnce = 0;
        var firstLeads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondLeads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LeaderElector Elector(string identity, TaskCompletionSource leads)
        {
            var elector = new LeaderElector(new LeaderElectionConfig(new LeaseLock(cluster.Client, "default", "controller", identity))
            {
                LeaseDuration = TimeSpan.FromSeconds(1),
                RenewDeadline = TimeSpan.FromMilliseconds(500),
                RetryPeriod = TimeSpan.FromMilliseconds(100),
            });
            elector.OnStartedLeading += () =>
            {
                var now = Interlocked.Increment(ref leaders);
                InterlockedMax(ref mostLeadersAtOnce, now);
                leads.TrySetResult();
            };
            elector.OnStoppedLeading += () => Interlocked.Decrement(ref leaders);
            return elector;
        }
        using var first = Elector("first", firstLeads);
        using var second = Elector("second", secondLeads);
        using var stopFirst = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopSecond = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var firstRun = first.RunUntilLeadershipLostAsync(stopFirst.Token);
        await firstLeads.Task.WaitAsync(ct);
        var secondRun = second.RunUntilLeadershipLostAsync(stopSecond.Token);
        // Let the first renew a few times while the second keeps trying to acquire.
        var renewedAt = cluster.Server.Requests.Count(request => request is { Verb: "update", Resource: "leases" });
        while (cluster.Server.Requests.Count(request => request is { Verb: "update", Resource: "leases" }) < renewedAt + 3)
        {
            await Task.Delay(20, ct);
        }
        Assert.False(secondLeads.Task.IsCompleted);

        await stopFirst.CancelAsync();
        await secondLeads.Task.WaitAsync(ct);

        Assert.Equal(1, mostLeadersAtOnce);
        var lease = cluster.Server.Objects.Get(FakeApiResource.Leases, "default", "controller");
        Assert.Equal("second", lease!["spec"]!["holderIdentity"]!.GetValue<string>());
        await stopSecond.CancelAsync();
        await Task.WhenAll(firstRun, secondRun).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
