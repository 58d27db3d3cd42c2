using System.Text.Json;
using System.Threading.Channels;
using DaskGateway.Tests.Infrastructure;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Kubernetes;

/// <summary>
/// Just enough of the API server's pod collection to test the watcher over real HTTP: a list, a
/// watch that replays the changes after a resource version and then streams new ones, expiry of
/// old versions (410 Gone) and scripted failures.
/// </summary>
internal sealed class ScriptedPodApi : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, V1Pod> _pods = [];
    private readonly List<(long Version, string Type, V1Pod Pod)> _log = [];
    private readonly List<Channel<string>> _watchers = [];
    private long _version = 1;
    private long _oldestWatchable = 1;
    private WebApplication? _app;

    /// <summary>Requests to answer with 500 before serving normally.</summary>
    public int FailuresToInject { get; set; }

    public int ListRequests { get; private set; }

    public Uri Address { get; private set; } = null!;

    public async Task StartAsync()
    {
        (_app, Address) = await LoopbackServer.StartAsync(HandleAsync);
    }

    public void Put(string name)
    {
        lock (_lock)
        {
            var type = _pods.ContainsKey(name) ? "MODIFIED" : "ADDED";
            var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", ResourceVersion = (++_version).ToString() } };
            _pods[name] = pod;
            RecordLocked(type, pod);
        }
    }

    public void Delete(string name)
    {
        lock (_lock)
        {
            if (_pods.Remove(name, out var pod))
            {
                pod.Metadata.ResourceVersion = (++_version).ToString();
                RecordLocked("DELETED", pod);
            }
        }
    }

    /// <summary>Forgets the change log (watches from older versions get 410) and ends open watches.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _oldestWatchable = ++_version;
            _log.Clear();
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Compact();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void RecordLocked(string type, V1Pod pod)
    {
        _log.Add((_version, type, pod));
        var line = Line(type, pod);
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(line);
        }
    }

    private static string Line(string type, V1Pod item) =>
        JsonSerializer.Serialize(new { type, @object = JsonDocument.Parse(KubernetesJson.Serialize(item)).RootElement });

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != "/api/v1/namespaces/ns/pods")
        {
            context.Response.StatusCode = 404;
            return;
        }

        lock (_lock)
        {
            if (FailuresToInject > 0)
            {
                FailuresToInject--;
                context.Response.StatusCode = 500;
                return;
            }
        }

        if (context.Request.Query["watch"] != "true")
        {
            string body;
            lock (_lock)
            {
                ListRequests++;
                body = KubernetesJson.Serialize(new V1PodList { Metadata = new V1ListMeta { ResourceVersion = _version.ToString() }, Items = [.. _pods.Values] });
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
            return;
        }

        var from = long.Parse(context.Request.Query["resourceVersion"].ToString());
        var channel = Channel.CreateUnbounded<string>();
        lock (_lock)
        {
            if (from < _oldestWatchable)
            {
                // KubernetesClient reads V1Status but cannot write it.
                channel.Writer.TryWrite("""{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","code":410,"reason":"Expired","message":"too old resource version"}}""");
                channel.Writer.TryComplete();
            }
            else
            {
                foreach (var (version, type, pod) in _log.Where(entry => entry.Version > from))
                {
                    channel.Writer.TryWrite(Line(type, pod));
                }

                _watchers.Add(channel);
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.StartAsync();
        try
        {
            await foreach (var line in channel.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
        }
    }
}
