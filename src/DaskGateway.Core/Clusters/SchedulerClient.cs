using System.Net.Http.Headers;
using System.Text;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>Sends scale and adapt messages to a scheduler's <c>/api/comm</c> (protocol.md §3.6).</summary>
internal interface ISchedulerClient
{
    /// <summary>Posts <paramref name="jsonBody"/>; true when the scheduler accepted it (any status below 400).</summary>
    Task<bool> SendAsync(string apiAddress, string token, string jsonBody, CancellationToken cancellationToken);
}

internal sealed partial class SchedulerClient : ISchedulerClient
{
    private const int Attempts = 3;
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(0.1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly ILogger<SchedulerClient> _logger;

    public SchedulerClient(HttpClient http, ILogger<SchedulerClient> logger)
    {
        _http = http;
        _logger = logger;
    }

    public async Task<bool> SendAsync(string apiAddress, string token, string jsonBody, CancellationToken cancellationToken)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, apiAddress.TrimEnd('/') + "/api/comm");
                request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
                request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
                using var response = await _http.SendAsync(request, cancellationToken);
                if ((int)response.StatusCode < 400)
                {
                    return true;
                }

                LogRejected(apiAddress, (int)response.StatusCode, attempt);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(LogText.Escape(apiAddress), attempt, e.Message);
            }

            if (attempt == Attempts)
            {
                return false;
            }

            // Real time even when tests fake the clock: these pauses sit inside one HTTP request.
            await Task.Delay(delay, TimeProvider.System, cancellationToken);
            delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.SchedulerClientRejected, Level = LogLevel.Warning, Message = "Scheduler API {ApiAddress} answered {StatusCode} (attempt {Attempt})")]
    private partial void LogRejected(string apiAddress, int statusCode, int attempt);

    [LoggerMessage(EventId = GatewayEventIds.SchedulerClientUnreachable, Level = LogLevel.Warning, Message = "Scheduler API {ApiAddress} unreachable (attempt {Attempt}): {Reason}")]
    private partial void LogUnreachable(string apiAddress, int attempt, string reason);
}
