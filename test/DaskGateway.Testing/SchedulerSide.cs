using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>Sends what a scheduler's preload sends to the private API (protocol.md §3.5), with the cluster's token.</summary>
public static class SchedulerSide
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<HttpResponseMessage> HeartbeatAsync(Uri privateAddress, string clusterName, string? token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(privateAddress, $"api/v1/clusters/{clusterName}/heartbeat"))
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        }

        return await Http.SendAsync(request);
    }

    public static Dictionary<string, object?> Heartbeat(Uri apiAddress, int count = 0, string dashboard = "http://127.0.0.1:8787", string[]? active = null) => new()
    {
        ["scheduler_address"] = "tls://127.0.0.1:34567",
        ["dashboard_address"] = dashboard,
        ["api_address"] = apiAddress.ToString().TrimEnd('/'),
        ["count"] = count,
        ["active_workers"] = active ?? [],
        ["closing_workers"] = Array.Empty<string>(),
        ["closed_workers"] = Array.Empty<string>(),
    };

    public static async Task<HttpResponseMessage> StopAsync(Uri privateAddress, string clusterName, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(privateAddress, $"api/v1/clusters/{clusterName}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("token", token);
        return await Http.SendAsync(request);
    }
}
