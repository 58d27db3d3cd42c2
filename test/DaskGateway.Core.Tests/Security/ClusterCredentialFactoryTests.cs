using System.Security.Cryptography.X509Certificates;
using DaskGateway.Security;

namespace DaskGateway.Tests.Security;

public sealed class ClusterCredentialFactoryTests
{
    [Fact]
    public async Task ARequestWithNoKeyLeft_GetsOne_EvenWhileSchedulersKeepStarting()
    {
        using var factory = new ClusterCredentialFactory(TimeProvider.System);
        using var starting = new CancellationTokenSource();
        var activity = Task.Run(
            async () =>
            {
                while (!starting.IsCancellationRequested)
                {
                    factory.NoteActivity();
                    await Task.Delay(50, TestContext.Current.CancellationToken);
                }
            },
            TestContext.Current.CancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var first = await factory.CreateAsync("first", timeout.Token);
        var second = await factory.CreateAsync("second", timeout.Token);
        await starting.CancelAsync();
        await activity;

        using var certificate = X509Certificate2.CreateFromPem(second.CertificatePem, second.PrivateKeyPem);
        Assert.Contains("second", certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        Assert.NotEqual(first.PrivateKeyPem, second.PrivateKeyPem);
    }

    [Fact]
    public async Task OnceNothingStarts_ThePoolFillsAhead_AndNoMore()
    {
        using var factory = new ClusterCredentialFactory(TimeProvider.System);

        factory.StartFilling();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(120));
        while (factory.ReadyKeys < ClusterCredentialFactory.Capacity)
        {
            await Task.Delay(100, timeout.Token);
        }

        await Task.Delay(500, timeout.Token);
        Assert.Equal(ClusterCredentialFactory.Capacity, factory.ReadyKeys);
        var credentials = await factory.CreateAsync("cluster", timeout.Token);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", credentials.PrivateKeyPem, StringComparison.Ordinal);
    }
}
