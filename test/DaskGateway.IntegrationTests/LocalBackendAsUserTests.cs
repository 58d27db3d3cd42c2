using System.Net;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Hosting;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// LocalBackend runs each cluster as its user's account. That needs root; as any other user the
/// gateway must refuse to start with a clear reason. Each branch is a real check, never a skip.
/// </summary>
public sealed class LocalBackendAsUserTests
{
    private static bool IsRoot => Environment.UserName == "root";

    [Fact]
    public async Task AsRoot_ClusterProcessesRunAsTheUser_WithPrivateCredentials()
    {
        if (!IsRoot)
        {
            var config = new GatewayConfig();
            config.Set("DaskGateway", "BackendClass", "local", SettingSource.Code);
            config.Set("DBBackendBase", "DbUrl", "sqlite:///:memory:", SettingSource.Code);
            var components = GatewayConfigurationLoader.Load(config, GatewayConfigurationLoader.BuiltInTypes(), loggerFactory: Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => components.Backend.SetupAsync(null!, CancellationToken.None));
            Assert.Contains("needs the gateway to run as root", error.Message, StringComparison.Ordinal);
            return;
        }

        await using var account = await ThrowawayUser.CreateAsync();
        var user = account.Name;
        var clusters = Directory.CreateTempSubdirectory("dask-gateway-users-");
        try
        {
            // The user must be able to reach its cluster's directory.
            File.SetUnixFileMode(clusters.FullName, (UnixFileMode)0b111_101_101);
            await using var gateway = await TestGateway.StartAsync(
                ("DaskGateway.BackendClass", "local"),
                ("DBBackendBase.ClusterHeartbeatPeriod", 1),
                ("LocalBackend.ClustersDirectory", clusters.FullName),
                ("ClusterConfig.WorkerMemory", "512M"));
            using var client = gateway.Client(user);
            var name = await client.CreateClusterAsync();
            var running = await client.WaitForStatusAsync(name, "RUNNING");
            var cluster = gateway.Registry.All.Single();
            var uid = account.UserId;

            var schedulerPid = cluster.State["pid"]!.GetValue<int>();
            Assert.Contains($"Uid:\t{uid}\t{uid}", await File.ReadAllTextAsync($"/proc/{schedulerPid}/status", TestContext.Current.CancellationToken), StringComparison.Ordinal);
            var key = Path.Combine(clusters.FullName, name, ".certs", "dask.pem");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            Assert.Equal(uid, await ThrowawayUser.OwnerAsync(key));

            using (await client.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
            {
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!cluster.Workers.Values.Any(w => w.Status == JobStatus.Running))
            {
                await Task.Delay(50, timeout.Token);
            }

            var (exitCode, output) = await DaskProcesses.ComputeAsync(cluster.SchedulerAddress, running["tls_cert"]!.GetValue<string>(), running["tls_key"]!.GetValue<string>());
            Assert.True(exitCode == 0, output);
            Assert.Contains("workers=1", output, StringComparison.Ordinal);

            using (await client.DeleteAsync($"api/v1/clusters/{name}"))
            {
            }

            await client.WaitForStatusAsync(name, "STOPPED");
            Assert.Empty(DaskProcesses.OfCluster(name));
        }
        finally
        {
            clusters.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AsRoot_AUserWithoutAnAccount_IsRefusedAtCreateSayingSo()
    {
        const string NoSuchUser = "nobody-with-this-name";
        const string Reason = "there is no operating-system user 'nobody-with-this-name'";

        // The start checks again (the account may go away after the create): a real check as any user.
        var backend = new LocalBackend();
        var cluster = new ClusterInfo("0123456789abcdef0123456789abcdef", NoSuchUser, "token", new LocalClusterConfig(), "", "", "", "", []);
        await using var start = backend.StartClusterAsync(cluster, TestContext.Current.CancellationToken).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => start.MoveNextAsync().AsTask());
        Assert.Contains(Reason, failure.Message, StringComparison.Ordinal);
        if (!IsRoot)
        {
            Assert.Contains(Reason, await backend.GetRefusalReasonAsync(new Auth.User(NoSuchUser), TestContext.Current.CancellationToken), StringComparison.Ordinal);
            return;
        }

        await using var gateway = await TestGateway.StartAsync(("DaskGateway.BackendClass", "local"));
        using var client = gateway.Client(NoSuchUser);
        using var response = await client.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } });

        Assert.Contains(Reason, await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Empty(gateway.Registry.All);
    }
}
