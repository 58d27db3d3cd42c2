namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// <c>ClusterConfig.MaxLifetime</c> on the database and the Kubernetes backend alike: the gateway
/// asks the cluster source to stop the cluster, and the reason is in the cluster's events.
/// </summary>
public sealed class LifetimeParityTests
{
    [Theory]
    [InlineData(ScenarioBackends.Database)]
    [InlineData(ScenarioBackends.Kubernetes)]
    public async Task ClusterPastItsMaximumLifetime_IsStopped_WithTheReasonInItsEvents(string backendName)
    {
        await using var backend = await ScenarioBackends.StartAsync(backendName, ("ClusterConfig.MaxLifetime", 1));
        using var alice = backend.Gateway.Client("alice");

        var name = await alice.CreateClusterAsync();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]!.GetValue<string>() is "PENDING" or "RUNNING")
        {
            await Task.Delay(50, timeout.Token);
        }

        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
        Assert.Contains(events, e => e!["message"]!.GetValue<string>() == "stopped: reached its maximum lifetime of 1 s");
    }
}
