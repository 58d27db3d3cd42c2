using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Admin;

/// <summary>
/// Talks to a running gateway's private API with the admin API token (<c>DaskGateway.AdminApiToken</c>):
/// the routes an admin may use, with every failure turned into one message for the operator.
/// </summary>
internal sealed class AdminApiClient : IDisposable
{
    /// <summary>The most bytes of one answer read; an answer listing every cluster of a large gateway fits easily.</summary>
    public const int MaxResponseBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly Uri _baseAddress;

    public AdminApiClient(Uri apiUrl, string token, HttpMessageHandler? handler = null)
    {
        _baseAddress = BaseAddress(apiUrl);
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = RequestTimeout;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("token", token);
    }

    /// <summary>Every user's clusters (<c>GET /api/v1/clusters/?all=1</c>), with <paramref name="statuses"/> as the server's status filter when given.</summary>
    public async Task<JsonObject> ListClustersAsync(string? statuses, CancellationToken cancellationToken)
    {
        var query = "api/v1/clusters/?all=1" + (statuses is null ? "" : "&status=" + Uri.EscapeDataString(statuses));
        return await SendAsync(HttpMethod.Get, query, cancellationToken) as JsonObject
            ?? throw new AdminApiException("the gateway's cluster list is not a JSON object");
    }

    /// <summary>Stops a cluster; an unknown name is an error here (the API itself treats stopping a missing cluster as done).</summary>
    public async Task StopClusterAsync(string name, CancellationToken cancellationToken)
    {
        var path = "api/v1/clusters/" + Uri.EscapeDataString(name);
        await SendAsync(HttpMethod.Get, path, cancellationToken);
        await SendAsync(HttpMethod.Delete, path, cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    // Accepts the address as the gateway prints it ("private API http://host:port") and as schedulers
    // are given it (DASK_GATEWAY_API_URL, ending in /api).
    private static Uri BaseAddress(Uri apiUrl)
    {
        var path = apiUrl.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api", StringComparison.Ordinal))
        {
            path = path[..^"/api".Length];
        }

        return new UriBuilder(apiUrl) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }

    private async Task<JsonNode?> SendAsync(HttpMethod method, string relative, CancellationToken cancellationToken)
    {
        var target = new Uri(_baseAddress, relative);
        using var request = new HttpRequestMessage(method, target);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new AdminApiException($"cannot reach the gateway at {_baseAddress}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminApiException($"the gateway at {_baseAddress} did not answer within {RequestTimeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            var body = await ReadBoundedAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new AdminApiException(Refusal(response.StatusCode, body));
            }

            if (body.Length == 0)
            {
                return null;
            }

            try
            {
                return JsonNode.Parse(body);
            }
            catch (JsonException e)
            {
                throw new AdminApiException($"the gateway answered {method} {target.PathAndQuery} with something that is not JSON: {e.Message}", e);
            }
        }
    }

    private static string Refusal(HttpStatusCode status, byte[] body)
    {
        string? error = null;
        try
        {
            error = body.Length > 0 ? JsonNode.Parse(body)?["error"]?.GetValue<string>() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Not the API's error form (another server on that port): the status says enough.
        }

        var hint = status switch
        {
            HttpStatusCode.Unauthorized => " (is DaskGateway.AdminApiToken set on the gateway, and is this its private API address?)",
            _ => "",
        };
        return $"the gateway refused: {(int)status} {error ?? status.ToString()}{hint}";
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new AdminApiException($"the gateway's answer is larger than {MaxResponseBytes} bytes");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                throw new AdminApiException($"the gateway's answer is larger than {MaxResponseBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>A request to the gateway failed; the message is for the operator.</summary>
internal sealed class AdminApiException : Exception
{
    public AdminApiException(string message) : base(message)
    {
    }

    public AdminApiException(string message, Exception inner) : base(message, inner)
    {
    }
}
