using DaskGateway.Clusters;
using DaskGateway.Storage.Encryption;
using DaskGateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace DaskGateway.Tests;

/// <summary>A cluster's timeline stays bounded whatever its backend reports.</summary>
public sealed class ClusterTimelineTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-timeline-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task BackendFailureDescriptionOf10MiB_IsCutInTheApiAndInTheDatabase()
    {
        var database = Path.Combine(_directory.FullName, "gateway.sqlite");
        await using var gateway = await TestGateway.StartAsync(
            ("DaskGateway.BackendClass", "InProcessBackend"),
            ("InProcessBackend.SilentSchedulers", true),
            ("DBBackendBase.ClusterStatusPeriod", 0.1),
            ("DBBackendBase.DbUrl", $"sqlite:///{database}"),
            ("DBBackendBase.DbEncryptKeys", new[] { EncryptionKeys.GenerateKey() }));
        var backend = gateway.Backend<InProcessBackend>();
        var description = "the scheduler wrote: " + new string('x', 10 * 1024 * 1024);
        backend.FailureDescription = description;
        using var alice = gateway.Client("alice");

        var name = await alice.CreateClusterAsync();
        await Eventually.WaitUntilAsync(() => backend.HasScheduler(name), "the scheduler is started");
        await InProcessBackend.KillAsync(name);
        await alice.WaitForStatusAsync(name, "FAILED");

        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();
        var reason = Assert.Single(events, e => e!["message"]!.GetValue<string>().StartsWith("the scheduler wrote: xxx", StringComparison.Ordinal))!["message"]!.GetValue<string>();
        Assert.Equal(ClusterEventLimits.MaxMessageLength, reason.Length);
        Assert.EndsWith($" [… {description.Length} characters, cut]", reason, StringComparison.Ordinal);

        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT max(length(message)) FROM cluster_events";
        Assert.Equal((long)ClusterEventLimits.MaxMessageLength, await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
