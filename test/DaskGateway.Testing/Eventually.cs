namespace DaskGateway.Tests.Infrastructure;

/// <summary>Waiting for something that happens in the background, always with a time limit.</summary>
public static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out after {seconds} s waiting until {what}");
            }
        }
    }

    /// <summary>A loopback port that was free a moment ago, for a gateway that must keep its port across a restart.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
