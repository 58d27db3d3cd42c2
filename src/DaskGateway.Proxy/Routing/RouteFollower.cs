using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DaskGateway.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Proxy.Routing;

/// <summary>Where a standalone proxy reads its routes: the API server's route API and its token.</summary>
internal sealed record RouteFollowerOptions(Uri RoutesUrl, string Token);

/// <summary>
/// Keeps a standalone proxy's route table equal to an API server's (protocol.md §2.5, proxy side):
/// reads the whole table, then watches for changes from its id; on 410 (too far behind, or the API
/// server restarted) reads the whole table again; on errors retries after 0.5 s, doubling up to
/// 15 s. A watch is renewed every minute, so that a connection that died silently is noticed.
/// </summary>
internal sealed partial class RouteFollower : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WatchPeriod = TimeSpan.FromSeconds(60);

    private readonly RouteTable _routes;
    private readonly RouteFollowerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RouteFollower> _logger;
    private readonly HttpClient _http;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastId;

    public RouteFollower(RouteTable routes, RouteFollowerOptions options, TimeProvider time, ILogger<RouteFollower> logger)
    {
        _routes = routes;
        _options = options;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private enum WatchEnd
    {
        /// <summary>The stream ended (or was renewed): watch again from the last id.</summary>
        Ended,

        /// <summary>The events asked for are gone: read the whole table again.</summary>
        Gone,
    }

    /// <summary>Completes once the whole table has been read the first time.</summary>
    public Task FirstSync => _synced.Task;

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FetchTableAsync(stoppingToken);
                delay = FirstRetryDelay;
                while (await WatchAsync(stoppingToken) == WatchEnd.Ended)
                {
                }

                LogRefetching(_options.RoutesUrl, _lastId);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or InvalidDataException or OperationCanceledException)
            {
                LogFailed(_options.RoutesUrl, e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task FetchTableAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(FetchTimeout);
        using var response = await _http.SendAsync(Request(_options.RoutesUrl), timeout.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !RouteJson.TryGetProperty(root, "routes", out var routesElement) || routesElement.ValueKind != JsonValueKind.Array
            || !RouteJson.TryGetProperty(root, "id", out var idElement) || !idElement.TryGetInt64(out var id))
        {
            throw new InvalidDataException("the route table is not {\"routes\": [...], \"id\": n}");
        }

        var routes = new List<ProxyRoute>();
        foreach (var element in routesElement.EnumerateArray())
        {
            if (!RouteJson.TryRead(element, needsTarget: true, out var route))
            {
                throw new InvalidDataException("a route of the table is malformed: " + element.GetRawText());
            }

            routes.Add(route);
        }

        _routes.Replace(routes);
        _lastId = id;
        LogSynced(_options.RoutesUrl, routes.Count, id);
        _synced.TrySetResult();
    }

    private async Task<WatchEnd> WatchAsync(CancellationToken stoppingToken)
    {
        using var period = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        period.CancelAfter(WatchPeriod);
        var url = new Uri(_options.RoutesUrl + string.Create(CultureInfo.InvariantCulture, $"?watch=1&last_id={_lastId}"));
        try
        {
            using var response = await _http.SendAsync(Request(url), HttpCompletionOption.ResponseHeadersRead, period.Token);
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                return WatchEnd.Gone;
            }

            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(period.Token);
            using var reader = new StreamReader(body);
            while (await reader.ReadLineAsync(period.Token) is { } line)
            {
                if (line.Length > 0 && !Apply(line))
                {
                    return WatchEnd.Gone;
                }
            }

            return WatchEnd.Ended;
        }
        catch (OperationCanceledException) when (period.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return WatchEnd.Ended;
        }
    }

    /// <summary>Applies one <c>{"events": [...]}</c> message; false on a gap in the ids (read the table again).</summary>
    private bool Apply(string line)
    {
        using var document = JsonDocument.Parse(line);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !RouteJson.TryGetProperty(document.RootElement, "events", out var events) || events.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("a watch message is not {\"events\": [...]}: " + line);
        }

        foreach (var element in events.EnumerateArray())
        {
            if (!RouteJson.TryRead(element, out var routeEvent))
            {
                throw new InvalidDataException("a route event is malformed: " + element.GetRawText());
            }

            if (routeEvent.Id <= _lastId)
            {
                continue;
            }

            if (routeEvent.Id != _lastId + 1)
            {
                return false;
            }

            _routes.Apply(routeEvent);
            _lastId = routeEvent.Id;
        }

        return true;
    }

    private HttpRequestMessage Request(Uri url)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("token", _options.Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    [LoggerMessage(EventId = GatewayEventIds.RouteFollowerOptionsSynced, Level = LogLevel.Information, Message = "Routes of {Url}: {Count} routes as of event {Id}")]
    private partial void LogSynced(Uri url, int count, long id);

    [LoggerMessage(EventId = GatewayEventIds.RouteFollowerOptionsRefetching, Level = LogLevel.Information, Message = "Route changes after event {Id} are no longer kept by {Url}: reading the whole table again")]
    private partial void LogRefetching(Uri url, long id);

    [LoggerMessage(EventId = GatewayEventIds.RouteFollowerOptionsFailed, Level = LogLevel.Warning, Message = "Following the routes of {Url} failed ({Reason}); trying again in {DelaySeconds} s")]
    private partial void LogFailed(Uri url, string reason, double delaySeconds);
}
