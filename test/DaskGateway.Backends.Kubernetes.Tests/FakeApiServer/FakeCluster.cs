using DaskGateway.Kubernetes.Fake;
using k8s;
using k8s.Models;

namespace DaskGateway.FakeApiServer;

/// <summary>A fake API server with a real client pointed at it, torn down together.</summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    private readonly CancellationTokenSource _timeout = StartTimeout();

    private FakeCluster(FakeKubernetesApiServer server)
    {
        Server = server;
        Client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = server.Url.ToString() });
    }

    /// <summary>The test's time limit for everything it waits on (10 s), also ended when the test run is cancelled.</summary>
    public CancellationToken Timeout => _timeout.Token;

    public FakeKubernetesApiServer Server { get; }

    public k8s.Kubernetes Client { get; }

    public static async Task<FakeCluster> StartAsync(FakeKubernetesApiServerOptions? options = null) =>
        new(await FakeKubernetesApiServer.StartAsync(options));

    public static CancellationTokenSource StartTimeout()
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return timeout;
    }

    public static V1Pod Pod(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = "example/image:1" }] },
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _timeout.Dispose();
    }
}
