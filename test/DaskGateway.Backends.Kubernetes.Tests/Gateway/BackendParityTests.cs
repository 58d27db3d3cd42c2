using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using DaskGateway.Clusters;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// Every route of protocol.md §1 in one scenario, run on the database backend and on the Kubernetes
/// backend (fake API server, the test as controller): each backend gives the answers the protocol
/// gives, and the two give the same answers, step by step. Each backend runs the scenario once; the
/// transcripts are shared by the tests of this class.
/// </summary>
public sealed class BackendParityTests(BackendParityTests.Transcripts transcripts) : IClassFixture<BackendParityTests.Transcripts>
{
    private const int WorkerLimit = 4;

    // No cluster has this name on either backend; on Kubernetes it is a well-formed name in the cluster namespace.
    private const string Unknown = "dask.0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData(ScenarioBackends.Database)]
    [InlineData(ScenarioBackends.Kubernetes)]
    public async Task Every_route_answers_as_the_protocol_says(string backend)
    {
        var transcript = await transcripts.OfAsync(backend);

        var unexpected = transcript.UnexpectedStatuses();
        Assert.True(unexpected.Length == 0, $"On the {backend} backend:\n{unexpected}");
    }

    [Fact]
    public async Task The_database_and_Kubernetes_backends_answer_every_step_the_same()
    {
        var database = await transcripts.OfAsync(ScenarioBackends.Database);
        var kubernetes = await transcripts.OfAsync(ScenarioBackends.Kubernetes);

        foreach (var step in database.Steps)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"{step}: {step.Answer}");
        }

        var differences = ScenarioTranscript.Differences(database, kubernetes);
        Assert.True(differences.Length == 0, $"The backends answered differently:\n{differences}");
        Assert.Equal(database.Steps.Select(s => s.Answer), kubernetes.Steps.Select(s => s.Answer));
    }

    /// <summary>
    /// The scenario. Only <see cref="IScenarioBackend.BringToRunningAsync"/> differs per backend and is
    /// not recorded; every request through the API is.
    /// </summary>
    private static async Task<ScenarioTranscript> RunScenarioAsync(string backendName)
    {
        await using var backend = await ScenarioBackends.StartAsync(
            backendName,
            ("Backend.ClusterOptions", ScenarioOptions()),
            ("ClusterConfig.ClusterMaxWorkers", WorkerLimit));
        var gateway = backend.Gateway;
        using var alice = gateway.Client("alice");
        using var bob = gateway.Client("bob");
        var transcript = new ScenarioTranscript(backendName);
        var get = HttpMethod.Get;
        var post = HttpMethod.Post;
        var delete = HttpMethod.Delete;

        Task Send(string label, HttpStatusCode expected, GatewayClient user, HttpMethod method, string path, object? body = null, BodyComparison comparison = BodyComparison.Exact) =>
            transcript.RecordAsync(label, expected, method, "/" + path, user.SendAsync(method, path, body is null ? null : JsonSerializer.Serialize(body)), comparison);

        Task Heartbeat(string label, HttpStatusCode expected, string cluster, string? token, object body) =>
            transcript.RecordAsync(label, expected, post, $"/api/v1/clusters/{cluster}/heartbeat", SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, cluster, token, body));

        await Send("health", HttpStatusCode.OK, alice, get, "api/health");
        await Send("version", HttpStatusCode.OK, alice, get, "api/version");
        await Send("options", HttpStatusCode.OK, alice, get, "api/v1/options");
        await Send("create, option over its maximum", HttpStatusCode.UnprocessableEntity, alice, post, "api/v1/clusters/", new { cluster_options = new { worker_cores = 9 } });
        await Send("create, unknown option", HttpStatusCode.UnprocessableEntity, alice, post, "api/v1/clusters/", new { cluster_options = new { zz = 1 } });

        var a = await CreateAsync(transcript, alice, new { cluster_options = new Dictionary<string, object?> { ["worker_cores"] = 2, ["profile"] = "large", ["env"] = new { A = "1" } } });
        await Send("list, active by default", HttpStatusCode.OK, alice, get, "api/v1/clusters/");
        await Send("list by status", HttpStatusCode.OK, alice, get, "api/v1/clusters/?status=pending");
        await Send("list by other statuses", HttpStatusCode.OK, alice, get, "api/v1/clusters/?status=RUNNING,STOPPED");
        await Send("list, unknown status", HttpStatusCode.UnprocessableEntity, alice, get, "api/v1/clusters/?status=running,foo");
        await Send("get, pending", HttpStatusCode.OK, alice, get, $"api/v1/clusters/{a}");
        await Send("scale while not running", HttpStatusCode.Conflict, alice, post, $"api/v1/clusters/{a}/scale", new { count = 1 });
        await Send("adapt while not running", HttpStatusCode.Conflict, alice, post, $"api/v1/clusters/{a}/adapt", new { minimum = 0, maximum = 1, active = true });

        await Send("another user's list", HttpStatusCode.OK, bob, get, "api/v1/clusters/?status=PENDING,RUNNING,STOPPING,STOPPED,FAILED");
        await Send("another user's get", HttpStatusCode.Forbidden, bob, get, $"api/v1/clusters/{a}");
        await Send("another user's get ?wait", HttpStatusCode.Forbidden, bob, get, $"api/v1/clusters/{a}?wait");
        await Send("another user's scale", HttpStatusCode.Forbidden, bob, post, $"api/v1/clusters/{a}/scale", new { count = 1 });
        await Send("another user's adapt", HttpStatusCode.Forbidden, bob, post, $"api/v1/clusters/{a}/adapt", new { minimum = 0, maximum = 1, active = true });
        await Send("another user's stop", HttpStatusCode.Forbidden, bob, delete, $"api/v1/clusters/{a}");
        await Send("another user's events", HttpStatusCode.Forbidden, bob, get, $"api/v1/clusters/{a}/events");

        await Send("unknown cluster, get", HttpStatusCode.NotFound, alice, get, $"api/v1/clusters/{Unknown}");
        await Send("unknown cluster, get ?wait", HttpStatusCode.NotFound, alice, get, $"api/v1/clusters/{Unknown}?wait");
        await Send("unknown cluster, scale", HttpStatusCode.NotFound, alice, post, $"api/v1/clusters/{Unknown}/scale", new { count = 1 });
        await Send("unknown cluster, adapt", HttpStatusCode.NotFound, alice, post, $"api/v1/clusters/{Unknown}/adapt", new { minimum = 0, maximum = 1, active = true });
        await Send("unknown cluster, events", HttpStatusCode.NotFound, alice, get, $"api/v1/clusters/{Unknown}/events");
        await Send("unknown cluster, stop", HttpStatusCode.NoContent, alice, delete, $"api/v1/clusters/{Unknown}");

        var scheduler = await backend.BringToRunningAsync(alice, a);
        await Send("get ?wait, running", HttpStatusCode.OK, alice, get, $"api/v1/clusters/{a}?wait");
        await Send("list, running", HttpStatusCode.OK, alice, get, "api/v1/clusters/");

        var heartbeat = SchedulerSide.Heartbeat(scheduler.ApiAddress, count: 2);
        await Heartbeat("heartbeat without a token", HttpStatusCode.Unauthorized, a, null, heartbeat);
        await Heartbeat("heartbeat with another token", HttpStatusCode.Unauthorized, a, "0123456789abcdef0123456789abcdef", heartbeat);

        // Link-local, where cloud metadata services answer: no backend runs schedulers there.
        await Heartbeat("heartbeat with a dashboard off the scheduler's host", HttpStatusCode.UnprocessableEntity, a, scheduler.Token, SchedulerSide.Heartbeat(scheduler.ApiAddress, count: 2, dashboard: "http://169.254.169.254:80"));
        await Heartbeat("heartbeat", HttpStatusCode.OK, a, scheduler.Token, heartbeat);

        await Send("scale within the limit", HttpStatusCode.OK, alice, post, $"api/v1/clusters/{a}/scale", new { count = 2 });
        await Send("scale over the limit", HttpStatusCode.OK, alice, post, $"api/v1/clusters/{a}/scale", new { count = 9 });
        await Send("scale, not a count", HttpStatusCode.UnprocessableEntity, alice, post, $"api/v1/clusters/{a}/scale", new { count = -1 });
        await Send("adapt", HttpStatusCode.OK, alice, post, $"api/v1/clusters/{a}/adapt", new { minimum = 1, maximum = 3, active = true });
        await Send("adapt over the limit", HttpStatusCode.OK, alice, post, $"api/v1/clusters/{a}/adapt", new Dictionary<string, object?> { ["minimum"] = null, ["maximum"] = 10, ["active"] = true });
        await Send("adapt, minimum over maximum", HttpStatusCode.UnprocessableEntity, alice, post, $"api/v1/clusters/{a}/adapt", new { minimum = 3, maximum = 1, active = true });
        Assert.Equal(
            ["""{"op":"scale","count":2}""", """{"op":"scale","count":4}""", """{"op":"adapt","minimum":1,"maximum":3,"active":true}""", """{"op":"adapt","minimum":0,"maximum":4,"active":true}"""],
            scheduler.Messages.Select(m => m.ToJsonString()));

        // A cluster's timeline is the backend's own account (database: the reconciler's steps;
        // Kubernetes: the resource's creation and the controller's status events), so the events
        // route is compared by status and shape only.
        await Send("events of the owner", HttpStatusCode.OK, alice, get, $"api/v1/clusters/{a}/events", comparison: BodyComparison.Shape);

        await Send("stop by the owner", HttpStatusCode.NoContent, alice, delete, $"api/v1/clusters/{a}");
        await Send("stop again", HttpStatusCode.NoContent, alice, delete, $"api/v1/clusters/{a}");
        await Send("list after stop", HttpStatusCode.OK, alice, get, "api/v1/clusters/");
        await Send("list running after stop", HttpStatusCode.OK, alice, get, "api/v1/clusters/?status=RUNNING");
        await Send("scale after stop", HttpStatusCode.Conflict, alice, post, $"api/v1/clusters/{a}/scale", new { count = 1 });

        // protocol.md §3.6: a scheduler that refuses a forwarded request (after retries) is a 409 on every backend.
        var b = await CreateAsync(transcript, alice, new { cluster_options = new { } });
        var refusing = await backend.BringToRunningAsync(alice, b);
        refusing.CommStatus = HttpStatusCode.InternalServerError;
        await Send("scale, the scheduler refuses", HttpStatusCode.Conflict, alice, post, $"api/v1/clusters/{b}/scale", new { count = 1 });
        Assert.Equal(3, refusing.Attempts);
        await Send("stop the other cluster", HttpStatusCode.NoContent, alice, delete, $"api/v1/clusters/{b}");
        await Send("list at the end", HttpStatusCode.OK, alice, get, "api/v1/clusters/");
        return transcript;
    }

    /// <summary>Creates a cluster as a recorded step and names it in the transcript.</summary>
    private static async Task<string> CreateAsync(ScenarioTranscript transcript, GatewayClient owner, object body)
    {
        using var response = await owner.PostJsonAsync("api/v1/clusters/", body);
        var created = await GatewayClient.ReadJsonAsync(response, HttpStatusCode.Created);
        var name = created["name"]!.GetValue<string>();
        var placeholder = transcript.NameCluster(name);
        transcript.Steps.Add(new ScenarioStep("create", "POST", "/api/v1/clusters/", (int)response.StatusCode, 201, response.Content.Headers.ContentType?.MediaType, null, $$"""{"name":"{{placeholder}}"}"""));
        return name;
    }

    private static Options ScenarioOptions() => new(
        Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
        Option.Float("worker_memory", 1, min: 1, max: 8, label: "Worker Memory (GiB)"),
        Option.Select("profile", ["small", "large"], label: "Profile"),
        Option.String("queue", "default"),
        Option.Bool("keep"),
        Option.Mapping("env"),
        handler: (options, user) => new Dictionary<string, object?> { ["worker_cores"] = options["worker_cores"] });

    /// <summary>Each backend's transcript, made once, by whichever test asks first.</summary>
    public sealed class Transcripts
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<ScenarioTranscript>>> _runs = new(StringComparer.Ordinal);

        internal Task<ScenarioTranscript> OfAsync(string backend) =>
            _runs.GetOrAdd(backend, name => new Lazy<Task<ScenarioTranscript>>(() => RunScenarioAsync(name))).Value;
    }
}
