using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Clusters;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// The Kubernetes backend against the fake API server, the test playing the controller: it writes
/// the cluster's credentials Secret and reports the resource Running with its scheduler pod's IP.
/// The gateway reaches each cluster's scheduler API through its Service, which here leads to the
/// cluster's fake scheduler on loopback.
/// </summary>
internal sealed class KubeScenarioBackend : IScenarioBackend
{
    private const string Namespace = "dask";
    private const string Instance = "gw-scenario";

    // The fake schedulers listen on loopback: as far as the gateway knows, that is their pod's IP.
    private const string SchedulerPodIP = "127.0.0.1";

    private readonly FakeKubernetesApiServer _kube;
    private readonly ConcurrentDictionary<string, FakeScheduler> _schedulersByService = new(StringComparer.Ordinal);

    private KubeScenarioBackend(FakeKubernetesApiServer kube, TestGateway gateway)
    {
        _kube = kube;
        Gateway = gateway;
        gateway.Backend<KubeBackend>().ClusterAddresses = (@namespace, service) =>
            _schedulersByService.TryGetValue(service, out var scheduler)
                ? new KubeClusterAddresses("tls://127.0.0.1:1", "http://127.0.0.1:1", scheduler.ApiAddress.ToString().TrimEnd('/'))
                : KubeClusterAddresses.ForService(@namespace, service);
    }

    public TestGateway Gateway { get; }

    public static async Task<IScenarioBackend> StartAsync((string Setting, object? Value)[] settings)
    {
        var kube = await FakeKubernetesApiServer.StartAsync();
        try
        {
            var gateway = await TestGateway.StartAsync(
            [
                ("DaskGateway.BackendClass", "kubernetes"),
                ("KubeBackend.KubeconfigPath", kube.WriteKubeconfig()),
                ("KubeBackend.GatewayInstance", Instance),
                ("KubeClusterConfig.Namespace", Namespace),
                ("KubeClusterConfig.Image", "example.org/dask:1"),
                .. settings,
            ]);
            return new KubeScenarioBackend(kube, gateway);
        }
        catch
        {
            await kube.DisposeAsync();
            throw;
        }
    }

    public async Task<FakeScheduler> BringToRunningAsync(GatewayClient owner, string clusterName)
    {
        Assert.True(DaskClusterNames.TrySplitClusterName(clusterName, out _, out var resourceName));
        var scheduler = await FakeScheduler.StartAsync(Guid.NewGuid().ToString("N"));
        _schedulersByService[DaskClusterNames.Service(resourceName)] = scheduler;
        var credentials = new ClusterCredentials("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        _kube.Objects.Put(FakeApiResource.Secrets, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = DaskClusterNames.CredentialsSecret(resourceName), ["namespace"] = Namespace },
            ["data"] = new JsonObject
            {
                ["dask.crt"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.CertificatePem)),
                ["dask.pem"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.PrivateKeyPem)),
                ["api-token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(scheduler.Token)),
            },
        });
        _kube.Objects.Update(FakeApiResource.DaskClusters, Namespace, resourceName, o =>
        {
            var status = o["status"] as JsonObject ?? [];
            status["phase"] = "Running";
            status["credentials"] = DaskClusterNames.CredentialsSecret(resourceName);
            status["schedulerPodIP"] = SchedulerPodIP;
            o["status"] = status;
        });

        await owner.WaitForStatusAsync(clusterName, "RUNNING");
        return scheduler;
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var scheduler in _schedulersByService.Values)
        {
            await scheduler.DisposeAsync();
        }

        await _kube.DisposeAsync();
    }
}
