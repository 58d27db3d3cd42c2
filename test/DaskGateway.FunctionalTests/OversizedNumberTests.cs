using System.Net;
using DaskGateway.Clusters;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// Bodies built to burn the gateway's CPU: megabyte integer literals (quadratic to convert and to
/// print) and megabyte values echoed into error messages. Each request has a generous timeout;
/// the old code spent it converting, or answered with the whole megabyte in the error.
/// </summary>
public sealed class OversizedNumberTests
{
    private const int MaxBodySize = 1024 * 1024;

    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static Options WorkerOptions() => new(
        Option.Integer("worker_cores", 1, min: 1, max: 4),
        Option.Float("worker_memory", 1, min: 1, max: 8),
        Option.Mapping("env"));

    /// <summary>A body of <paramref name="before"/>, as many digits as the body limit allows, and <paramref name="after"/>.</summary>
    private static (string Body, int Digits) Filled(string before, string after, char digit = '9')
    {
        var digits = MaxBodySize - before.Length - after.Length;
        return (before + new string(digit, digits) + after, digits);
    }

    [Fact]
    public async Task MegabyteIntegerLiterals_AreRefusedBeforeConversion_InEveryBody()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", WorkerOptions()));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var cases = new (string Path, string Before, string After, string Field)[]
        {
            ($"api/v1/clusters/{name}/scale", """{"count": """, "}", "count"),
            ($"api/v1/clusters/{name}/adapt", """{"minimum": """, """, "maximum": 2, "active": true}""", "minimum"),
            ($"api/v1/clusters/{name}/adapt", """{"minimum": 0, "maximum": -""", """, "active": true}""", "maximum"),
            ("api/v1/clusters/", """{"cluster_options": {"worker_cores": """, "}}", "cluster_options.worker_cores"),
            ("api/v1/clusters/", """{"cluster_options": {"worker_memory": """, "}}", "cluster_options.worker_memory"),
            ("api/v1/clusters/", """{"cluster_options": {"env": {"list": [1, """, "]}}}", "cluster_options.env.list[1]"),
        };

        foreach (var (path, before, after, field) in cases)
        {
            var (body, digits) = Filled(before, after);
            using var response = await alice.SendAsync(HttpMethod.Post, path, body).WaitAsync(Generous, TestContext.Current.CancellationToken);
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal($"Integer value of '{field}' has {digits} digits; at most 4300 are accepted", error);
        }

        var (heartbeat, heartbeatDigits) = Filled("""{"count": """, "}");
        using (var response = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, gateway.TokenOf(name), heartbeat).WaitAsync(Generous, TestContext.Current.CancellationToken))
        {
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal($"Integer value of 'count' has {heartbeatDigits} digits; at most 4300 are accepted", error);
        }

        Assert.Equal(0, gateway.ActiveClusters().Single().Count);
    }

    [Fact]
    public async Task IntegersUpToPythonsDigitLimit_StillGetUpstreamsMessages_Shortened()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", WorkerOptions()));
        using var alice = gateway.Client("alice");
        var longest = new string('8', 4300);

        using (var response = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/x/scale", """{"count": """ + longest + "}"))
        {
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal("Scale expects a non-negative integer, got " + longest[..PythonFormat.MaxLength] + "...", error);
        }

        using (var response = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/", """{"cluster_options": {"worker_cores": """ + longest + "}}"))
        {
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal("worker_cores must be <= 4.000000, got " + longest[..PythonFormat.MaxLength] + "...", error);
        }

        using (var response = await alice.SendAsync(HttpMethod.Post, "api/v1/clusters/x/scale", """{"count": """ + longest + "8}"))
        {
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.Equal("Integer value of 'count' has 4301 digits; at most 4300 are accepted", error);
        }
    }

    [Fact]
    public async Task MegabyteValuesOfTheWrongType_AreNotEchoedIntoErrors()
    {
        await using var gateway = await TestGateway.StartAsync(("Backend.ClusterOptions", WorkerOptions()));
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var manyFields = "{" + string.Join(", ", Enumerable.Range(0, 40_000).Select(i => $"\"f{i:D6}\": 1")) + "}";
        var cases = new (string Path, string Body, string Start)[]
        {
            ($"api/v1/clusters/{name}/scale", Filled("""{"count": "x""", "\"}", 'x').Body, "Scale expects a non-negative integer, got xxxx"),
            ($"api/v1/clusters/{name}/scale", Filled("""{"count": 1.""", "}", '0').Body, "Scale expects a non-negative integer, got 1.0"),
            ($"api/v1/clusters/{name}/adapt", Filled("""{"minimum": 0, "maximum": 2, "active": "y""", "\"}", 'y').Body, "Adapt expects active to be a boolean, got yyyy"),
            ("api/v1/clusters/", Filled("""{"cluster_options": {"worker_cores": "z""", "\"}}", 'z').Body, "worker_cores must be an integer, got 'zzzz"),
            ("api/v1/clusters/", Filled("""{"cluster_options": {"worker_memory": 1""", ".5}}", '0').Body, "worker_memory must be a finite float, got inf"),
            ("api/v1/clusters/", """{"cluster_options": """ + manyFields + "}", "Unknown fields ['f000000', 'f000001', "),
        };

        foreach (var (path, body, start) in cases)
        {
            using var response = await alice.SendAsync(HttpMethod.Post, path, body).WaitAsync(Generous, TestContext.Current.CancellationToken);
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.StartsWith(start, error, StringComparison.Ordinal);
            Assert.True(error.Length < 300, $"an error of {error.Length} characters: {error[..Math.Min(100, error.Length)]}...");
        }

        var (heartbeat, _) = Filled("""{"count": 1, "active_workers": "w""", "\"}", 'w');
        using (var response = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, gateway.TokenOf(name), heartbeat).WaitAsync(Generous, TestContext.Current.CancellationToken))
        {
            var error = await GatewayClient.ReadErrorAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.StartsWith("Heartbeat 'active_workers' must be a list of worker names, got 'www", error, StringComparison.Ordinal);
            Assert.True(error.Length < 300, $"an error of {error.Length} characters");
        }
    }

    [Fact]
    public async Task HeartbeatsForUnknownClusters_AreAnsweredBeforeTheBodyIsRead_AndWrongTokensAre401()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var alice = gateway.Client("alice");
        var name = await alice.CreateClusterAsync();
        var (digits, _) = Filled("""{"count": """, "}");

        foreach (var body in new[] { digits, "{", "[1, 2]" })
        {
            using var unknown = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, "no-such-cluster", "any-token", body).WaitAsync(Generous, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);

            using var wrongToken = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, name, "wrong-token", body).WaitAsync(Generous, TestContext.Current.CancellationToken);
            Assert.Equal("Unauthorized", await GatewayClient.ReadErrorAsync(wrongToken, HttpStatusCode.Unauthorized));

            using var noToken = await SchedulerSide.HeartbeatAsync(gateway.PrivateAddress, "no-such-cluster", null, body).WaitAsync(Generous, TestContext.Current.CancellationToken);
            Assert.Equal("Unauthorized", await GatewayClient.ReadErrorAsync(noToken, HttpStatusCode.Unauthorized));
        }
    }
}
