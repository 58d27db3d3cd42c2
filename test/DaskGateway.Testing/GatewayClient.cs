using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// Sends exactly what the upstream Python client sends (protocol.md §1.2): each request first
/// with only the cookies it holds, and after a 401 once more with its credentials.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Func<string?> _authorization;

    public GatewayClient(Uri address, string userName, string password = "")
        : this(address, () => "Basic " + Convert.ToBase64String(Encoding.Latin1.GetBytes($"{userName}:{password}")))
    {
    }

    public GatewayClient(Uri address, Func<string?> authorization)
        : this(address, authorization, new SocketsHttpHandler())
    {
    }

    /// <summary>A client over <paramref name="handler"/> (for its TLS options); cookies and redirects are set here.</summary>
    public GatewayClient(Uri address, Func<string?> authorization, SocketsHttpHandler handler)
    {
        Cookies = new CookieContainer();
        handler.CookieContainer = Cookies;
        handler.UseCookies = true;
        handler.AllowAutoRedirect = false;
        _http = new HttpClient(handler)
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _authorization = authorization;
    }

    public CookieContainer Cookies { get; }

    /// <summary>Responses of the last request, in order (the 401 first when the handshake ran).</summary>
    public List<HttpStatusCode> LastExchange { get; } = [];

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    public Task<HttpResponseMessage> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => SendAsync(HttpMethod.Post, path, JsonSerializer.Serialize(body));

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json)
    {
        LastExchange.Clear();
        var response = await _http.SendAsync(Build(method, path, json, withCredentials: false));
        LastExchange.Add(response.StatusCode);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        response.Dispose();
        response = await _http.SendAsync(Build(method, path, json, withCredentials: true));
        LastExchange.Add(response.StatusCode);
        return response;
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await GetAsync(path);
        return await ReadJsonAsync(response, HttpStatusCode.OK);
    }

    /// <summary>Polls with <c>?wait</c>, as the client does, until the cluster has <paramref name="status"/> (30 s at most).</summary>
    public async Task<JsonNode> WaitForStatusAsync(string cluster, string status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var body = await GetJsonAsync($"api/v1/clusters/{cluster}?wait");
            if (body["status"]!.GetValue<string>() == status)
            {
                return body;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public async Task<string> CreateClusterAsync(object? options = null)
    {
        using var response = await PostJsonAsync("api/v1/clusters/", new Dictionary<string, object?> { ["cluster_options"] = options ?? new Dictionary<string, object?>() });
        var body = await ReadJsonAsync(response, HttpStatusCode.Created);
        return body["name"]!.GetValue<string>();
    }

    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    /// <summary>Asserts an error response: the status, a JSON content type and <c>{"error": message}</c>.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await ReadJsonAsync(response, expected);
        Assert.Single(body.AsObject());
        return body["error"]!.GetValue<string>();
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage Build(HttpMethod method, string path, string? json, bool withCredentials)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        if (withCredentials && _authorization() is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }
}
