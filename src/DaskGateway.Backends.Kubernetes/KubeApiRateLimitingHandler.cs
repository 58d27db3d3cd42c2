using System.Threading.RateLimiting;

namespace DaskGateway.Backends.Kubernetes;

/// <summary>
/// Holds every request to the Kubernetes API server until a token bucket lets it through, so that
/// a burst of reconciliations (hundreds of clusters after a restart) cannot flood the API server.
/// Watches take a token when they start and none while they stream.
/// </summary>
internal sealed class KubeApiRateLimitingHandler : DelegatingHandler
{
    private readonly RateLimiter _limiter;

    public KubeApiRateLimitingHandler(double requestsPerSecond, int burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(requestsPerSecond, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);

        // Refill at least every 100 ms (smoother than whole seconds) and at least one token at a time.
        var period = TimeSpan.FromSeconds(Math.Max(0.1, 1 / requestsPerSecond));
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(requestsPerSecond * period.TotalSeconds));
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            // Only when the queue overflows, which int.MaxValue waiting requests make theoretical.
            throw new HttpRequestException("Too many requests are waiting for the Kubernetes API rate limit.");
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _limiter.Dispose();
        }

        base.Dispose(disposing);
    }
}
