using DaskGateway.Backends.Kubernetes;
using DaskGateway.Tests.Infrastructure;
using k8s;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Kubernetes;

public sealed class KubeClientFactoryTests
{
    [Fact]
    public void A_kubeconfig_path_names_the_api_server()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster: {server: "http://127.0.0.1:6443"}
            users:
            - name: test
              user: {token: "not-a-secret"}
            contexts:
            - name: test
              context: {cluster: test, user: test, namespace: team}
            current-context: test
            """);
        try
        {
            var configuration = KubeClientFactory.LoadConfiguration(path);

            Assert.Equal("http://127.0.0.1:6443", configuration.Host.TrimEnd('/'));
            Assert.Equal("team", configuration.Namespace);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Requests_beyond_the_burst_wait_for_a_token()
    {
        var requests = 0;
        var (app, address) = await LoopbackServer.StartAsync(async context =>
        {
            Interlocked.Increment(ref requests);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}""");
        });
        await using var _ = app;

        // One token, refilled every 100 s: the second request cannot pass within this test.
        using var client = KubeClientFactory.Create(new KubernetesClientConfiguration { Host = address.ToString() }, 0.01, 1);
        await client.CoreV1.ListNamespacedPodAsync("ns", cancellationToken: TestContext.Current.CancellationToken);
        using var waiting = new CancellationTokenSource();
        var second = client.CoreV1.ListNamespacedPodAsync("ns", cancellationToken: waiting.Token);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);
        await waiting.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Assert.Equal(1, Volatile.Read(ref requests));
    }
}
