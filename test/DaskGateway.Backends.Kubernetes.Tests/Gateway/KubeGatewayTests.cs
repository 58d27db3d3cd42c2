using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Backends.Kubernetes;
using DaskGateway.Clusters;
using DaskGateway.Kubernetes.Fake;
using DaskGateway.Logging;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// The gateway with <c>KubeBackend</c> against the fake API server: what a user sees through the
/// HTTP API at each step while the test plays the controller's part on the DaskCluster resource.
/// </summary>
public sealed class KubeGatewayTests : IAsyncLifetime
{
    private const string Namespace = "dask";
    private const string Instance = "gw-test";

    // The fake schedulers listen on loopback: as far as the gateway knows, that is their pod's IP.
    private const string SchedulerPodIP = "127.0.0.1";

    private FakeKubernetesApiServer _kube = null!;
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _kube = await FakeKubernetesApiServer.StartAsync();
        _gateway = await StartGatewayAsync();
    }

    private Task<TestGateway> StartGatewayAsync(params (string Setting, object? Value)[] overrides) => TestGateway.StartAsync(
        [
            ("DaskGateway.BackendClass", "kubernetes"),
            ("KubeBackend.KubeconfigPath", _kube.WriteKubeconfig()),
            ("KubeBackend.GatewayInstance", Instance),
            ("KubeBackend.CommonLabels", new Dictionary<string, string> { ["team"] = "science" }),
            ("KubeClusterConfig.Namespace", Namespace),
            ("KubeClusterConfig.Image", "example.org/dask:1"),
            ("KubeClusterConfig.WorkerMemory", "1 G"),
            ("KubeClusterConfig.ClusterMaxWorkers", 4),
            .. overrides,
        ]);

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _kube.DisposeAsync();
    }

    [Fact]
    public async Task Creating_a_cluster_makes_a_DaskCluster_resource_with_the_user_labels_and_full_config()
    {
        using var alice = _gateway.Client("alice");

        var name = await alice.CreateClusterAsync();

        Assert.True(DaskClusterNames.TrySplitClusterName(name, out var ns, out var resourceName));
        Assert.Equal(Namespace, ns);
        var resource = Assert.IsType<JsonObject>(_kube.Objects.Get(FakeApiResource.DaskClusters, Namespace, resourceName));
        Assert.Equal("alice", (string?)resource["spec"]!["username"]);
        Assert.Null(resource["spec"]!["replicas"]);
        var labels = resource["metadata"]!["labels"]!;
        Assert.Equal(Instance, (string?)labels[DaskClusterNames.InstanceLabel]);
        Assert.Equal(resourceName, (string?)labels[DaskClusterNames.ClusterLabel]);
        Assert.Equal("dask-gateway", (string?)labels[DaskClusterNames.NameLabel]);
        Assert.Equal("science", (string?)labels["team"]);
        var config = resource["spec"]!["config"]!;
        Assert.Equal("example.org/dask:1", (string?)config["image"]);
        Assert.Equal(1L << 30, (long)config["worker_memory"]!);
        Assert.Equal(Namespace, (string?)config["namespace"]);

        var cluster = await alice.GetJsonAsync($"api/v1/clusters/{name}");
        Assert.Equal("PENDING", (string?)cluster["status"]);
        Assert.Null(cluster["tls_cert"]);
        Assert.Null(cluster["dashboard_route"]);
    }

    [Fact]
    public async Task A_running_cluster_has_credentials_a_dashboard_route_and_proxy_routes_until_it_stops()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        var credentials = PlayControllerStart(resourceName);

        // A waiting client is answered as soon as the controller reports Running.
        var waiting = alice.GetJsonAsync($"api/v1/clusters/{name}?wait");
        SetPhase(resourceName, "Running");
        var running = await waiting.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal("RUNNING", (string?)running["status"]);
        Assert.Equal(credentials.CertificatePem, (string?)running["tls_cert"]);
        Assert.Equal(credentials.PrivateKeyPem, (string?)running["tls_key"]);
        Assert.Equal($"/clusters/{name}/status", (string?)running["dashboard_route"]);
        Assert.True(_gateway.Routes.TryGetSni(name, out var schedulerRoute));
        Assert.Equal($"tls://dask-{resourceName}.{Namespace}:8786", schedulerRoute);

        var listed = await alice.GetJsonAsync("api/v1/clusters/");
        Assert.Equal("RUNNING", (string?)listed[name]!["status"]);

        using (var stop = await alice.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.True(stop.StatusCode == HttpStatusCode.NoContent, await stop.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var stopping = Assert.IsType<JsonObject>(_kube.Objects.Get(FakeApiResource.DaskClusters, Namespace, resourceName));
        Assert.False((bool)stopping["spec"]!["active"]!);
        await Eventually.WaitUntilAsync(() => !_gateway.Routes.TryGetSni(name, out _), "routes removed", seconds: 10);
        Assert.Equal("STOPPING", (string?)(await alice.GetJsonAsync($"api/v1/clusters/{name}"))["status"]);

        _kube.Objects.Update(FakeApiResource.DaskClusters, Namespace, resourceName, o =>
        {
            o["status"]!["phase"] = "Stopped";
            o["status"]!["completionTime"] = "2026-11-25T12:00:00Z";
        });
        var stopped = await alice.WaitForStatusAsync(name, "STOPPED");
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), (long)stopped["stop_time"]!);
        Assert.Null(stopped["tls_cert"]);
        var active = await alice.GetJsonAsync("api/v1/clusters/");
        Assert.Empty(active.AsObject());
    }

    [Fact]
    public async Task A_restarted_gateway_finds_its_running_clusters_and_routes_them_again()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        PlayControllerStart(resourceName);
        SetPhase(resourceName, "Running");
        await alice.WaitForStatusAsync(name, "RUNNING");

        // Clusters live in their resources: a gateway that stops leaves them running.
        await _gateway.DisposeAsync();
        Assert.Equal("Running", (string?)_kube.Objects.Get(FakeApiResource.DaskClusters, Namespace, resourceName)!["status"]!["phase"]);
        _gateway = await StartGatewayAsync();

        using var again = _gateway.Client("alice");
        var running = await again.WaitForStatusAsync(name, "RUNNING");
        Assert.NotNull(running["tls_cert"]);
        await Eventually.WaitUntilAsync(() => _gateway.Routes.TryGetSni(name, out _), "the route restored", seconds: 10);
    }

    [Fact]
    public async Task Clusters_of_another_gateway_instance_are_invisible()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        _kube.Objects.Update(FakeApiResource.DaskClusters, Namespace, resourceName, o => o["metadata"]!["labels"]![DaskClusterNames.InstanceLabel] = "another-gateway");

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            using var response = await alice.GetAsync($"api/v1/clusters/{name}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                break;
            }

            await Task.Delay(50, timeout.Token);
        }

        Assert.Empty((await alice.GetJsonAsync("api/v1/clusters/")).AsObject());
    }

    [Fact]
    public async Task Scale_goes_to_the_scheduler_within_the_limit_and_sets_the_replicas()
    {
        using var alice = _gateway.Client("alice");
        var (name, resourceName, scheduler) = await CreateClusterWithSchedulerAsync(alice);
        await using var schedulerLifetime = scheduler;

        using (var notRunning = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 2 }))
        {
            Assert.Equal(HttpStatusCode.Conflict, notRunning.StatusCode);
        }

        SetPhase(resourceName, "Running");
        await alice.WaitForStatusAsync(name, "RUNNING");
        using var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 9 });
        var reply = await GatewayClient.ReadJsonAsync(scaled, HttpStatusCode.OK);

        Assert.False((bool)reply["ok"]!);
        Assert.Contains("resource limit of 4 workers", (string?)reply["msg"], StringComparison.Ordinal);
        Assert.Equal(4, scheduler.Count);
        await Eventually.WaitUntilAsync(() => Replicas(resourceName) == 4, "spec.replicas = 4", seconds: 10);
    }

    [Fact]
    public async Task Scale_to_int_max_is_clamped_to_the_default_cap_as_on_the_database_backend()
    {
        await _gateway.DisposeAsync();
        _gateway = await StartGatewayAsync(("KubeClusterConfig.ClusterMaxWorkers", null));
        using var alice = _gateway.Client("alice");
        var (name, resourceName, scheduler) = await CreateClusterWithSchedulerAsync(alice);
        await using var schedulerLifetime = scheduler;
        SetPhase(resourceName, "Running");
        await alice.WaitForStatusAsync(name, "RUNNING");

        using (var adapt = await alice.PostJsonAsync($"api/v1/clusters/{name}/adapt", new Dictionary<string, object?> { ["minimum"] = null, ["maximum"] = int.MaxValue, ["active"] = true }))
        {
            var adapted = await GatewayClient.ReadJsonAsync(adapt, HttpStatusCode.OK);
            Assert.False(adapted["ok"]!.GetValue<bool>());
            Assert.Equal(
                $"Adapt with `maximum={int.MaxValue}, minimum=0` workers would exceed resource limit of 1000 workers. Using `maximum=1000, minimum=0` instead.",
                adapted["msg"]!.GetValue<string>());
        }

        using var scaled = await alice.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = int.MaxValue });
        var reply = await GatewayClient.ReadJsonAsync(scaled, HttpStatusCode.OK);

        Assert.False((bool)reply["ok"]!);
        Assert.Equal($"Scale request of {int.MaxValue} workers would exceed resource limit of 1000 workers. Scaling to 1000 instead.", (string?)reply["msg"]);
        Assert.Equal(1000, scheduler.Count);
        await Eventually.WaitUntilAsync(() => Replicas(resourceName) == 1000, "spec.replicas = 1000", seconds: 10);
        using var health = await alice.GetAsync("api/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Heartbeats_need_the_cluster_token_from_its_secret()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        PlayControllerStart(resourceName, token: "right-token");
        var service = $"{DaskClusterNames.Service(resourceName)}.{Namespace}";

        Assert.Equal(HttpStatusCode.Unauthorized, await HeartbeatAsync(name, "wrong-token", $"tls://{service}:8786", $"http://{service}:8788"));
        Assert.Equal(HttpStatusCode.OK, await HeartbeatAsync(name, "right-token", $"tls://{service}:8786", $"http://{service}:8788"));
        await Eventually.WaitUntilAsync(() => Replicas(resourceName) == 3, "spec.replicas = 3", seconds: 10);
    }

    [Theory]
    [InlineData("tls://10.1.2.3:8786", "http://" + SchedulerPodIP + ":8788")]
    [InlineData("tls://" + SchedulerPodIP + ":8786", "http://169.254.169.254:80")]
    [InlineData("tls://" + SchedulerPodIP + ":8786", "http://" + SchedulerPodIP + ":8788/latest/meta-data")]
    public async Task A_scheduler_reporting_addresses_off_its_pod_and_Service_is_422_and_changes_nothing(string scheduler, string api)
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        PlayControllerStart(resourceName, token: "right-token");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, await HeartbeatAsync(name, "right-token", scheduler, api));
        Assert.Null(Replicas(resourceName));
        await Eventually.WaitUntilAsync(() => RefusalsRecorded(resourceName) == 1, "the refusal is in the cluster's status events", seconds: 10);
        // The gateway answers from its watch of the resource, which may lag the write by a moment.
        using var watchLag = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!(await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray()
            .Any(e => (string?)e!["kind"] == "addresses-refused" && ((string?)e["message"])!.StartsWith("Heartbeat '", StringComparison.Ordinal)))
        {
            await Task.Delay(50, watchLag.Token);
        }

        // From its pod's IP, as the controller recorded it, the same heartbeat counts.
        Assert.Equal(HttpStatusCode.OK, await HeartbeatAsync(name, "right-token", $"tls://{SchedulerPodIP}:8786", $"http://{SchedulerPodIP}:8788"));
        await Eventually.WaitUntilAsync(() => Replicas(resourceName) == 3, "spec.replicas = 3", seconds: 10);
    }

    /// <summary>A heartbeat asking for 3 workers; the status code it gets.</summary>
    private async Task<HttpStatusCode> HeartbeatAsync(string name, string token, string schedulerAddress, string apiAddress)
    {
        using var http = new HttpClient { BaseAddress = _gateway.PrivateAddress, Timeout = TimeSpan.FromSeconds(10) };
        var body = new JsonObject
        {
            ["scheduler_address"] = schedulerAddress,
            ["dashboard_address"] = "",
            ["api_address"] = apiAddress,
            ["count"] = 3,
            ["active_workers"] = new JsonArray(),
            ["closing_workers"] = new JsonArray(),
            ["closed_workers"] = new JsonArray(),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/clusters/{name}/heartbeat")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "token " + token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Other_users_cannot_see_or_stop_a_cluster_and_unknown_names_are_404()
    {
        using var alice = _gateway.Client("alice");
        using var bob = _gateway.Client("bob");
        var name = await alice.CreateClusterAsync();

        Assert.Empty((await bob.GetJsonAsync("api/v1/clusters/")).AsObject());
        using (var view = await bob.GetAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, view.StatusCode);
        }

        using (var stop = await bob.DeleteAsync($"api/v1/clusters/{name}"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stop.StatusCode);
        }

        foreach (var unknown in new[] { $"{Namespace}.0123456789abcdef0123456789abcdef", "no-namespace", "other.ns.name" })
        {
            using var missing = await alice.GetAsync($"api/v1/clusters/{unknown}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Contains("not found", await GatewayClient.ReadErrorAsync(missing, HttpStatusCode.NotFound), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Events_come_from_the_resource_status()
    {
        using var alice = _gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        _kube.Objects.Update(FakeApiResource.DaskClusters, Namespace, resourceName, o => o["status"] = new JsonObject
        {
            ["phase"] = "Failed",
            ["events"] = new JsonArray(new JsonObject { ["time"] = 1, ["kind"] = "failed", ["message"] = "scheduler exited with code 1" }),
        });

        await alice.WaitForStatusAsync(name, "FAILED");
        var events = (await alice.GetJsonAsync($"api/v1/clusters/{name}/events"))["events"]!.AsArray();

        Assert.Equal("created", (string?)events[0]!["kind"]);
        Assert.Contains(events, e => (string?)e!["message"] == "scheduler exited with code 1");
    }

    [Fact]
    public async Task An_unavailable_API_server_is_a_503_with_a_reason_not_a_crash()
    {
        using var alice = _gateway.Client("alice");
        _kube.FailNext(1, 500, request => request.Method == "POST");
        _gateway.ExpectLoggedError(GatewayEventIds.KubeClusterSourceCreateFailed);
        _gateway.ExpectLoggedError(e => e.EventId.Id == GatewayEventIds.ApiMiddlewareRequest && e.Message.StartsWith("503 POST", StringComparison.Ordinal));

        using var response = await alice.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } });

        var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("Kubernetes API server answered 500", error, StringComparison.Ordinal);
        Assert.Equal(201, (int)(await alice.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } })).StatusCode);
    }

    /// <summary>What the controller does first: the credentials Secret and the resource's status.</summary>
    private ClusterCredentials PlayControllerStart(string resourceName, string token = "token")
    {
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
                ["api-token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(token)),
            },
        });
        SetPhase(resourceName, "Pending");
        return credentials;
    }

    private void SetPhase(string resourceName, string phase) =>
        _kube.Objects.Update(FakeApiResource.DaskClusters, Namespace, resourceName, o =>
        {
            var status = o["status"] as JsonObject ?? [];
            status["phase"] = phase;
            status["credentials"] = DaskClusterNames.CredentialsSecret(resourceName);
            status["schedulerPodIP"] = SchedulerPodIP;
            o["status"] = status;
        });

    private int RefusalsRecorded(string resourceName) =>
        (_kube.Objects.Get(FakeApiResource.DaskClusters, Namespace, resourceName)?["status"]?["events"] as JsonArray ?? []).Count(e => (string?)e?["kind"] == "addresses-refused");

    /// <summary>A new cluster whose start the test plays as the controller, with a fake scheduler behind its API address.</summary>
    private async Task<(string Name, string ResourceName, FakeDaskScheduler Scheduler)> CreateClusterWithSchedulerAsync(GatewayClient client)
    {
        var name = await client.CreateClusterAsync();
        DaskClusterNames.TrySplitClusterName(name, out _, out var resourceName);
        PlayControllerStart(resourceName, token: "cluster-token");
        var scheduler = await FakeDaskScheduler.StartAsync(name, "cluster-token", new Uri(_gateway.PrivateAddress, "api"), TimeSpan.FromMilliseconds(200), heartbeats: true);
        _gateway.Backend<KubeBackend>().ClusterAddresses = (_, _) => new KubeClusterAddresses("tls://127.0.0.1:1", "http://127.0.0.1:1", scheduler.ApiAddress.ToString().TrimEnd('/'));
        return (name, resourceName, scheduler);
    }

    private int? Replicas(string resourceName) =>
        (int?)_kube.Objects.Get(FakeApiResource.DaskClusters, Namespace, resourceName)?["spec"]?["replicas"];
}
