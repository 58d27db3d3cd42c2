using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// A protocol-level fake of the Kubernetes API server for tests: plain HTTP on a loopback port, speaking the real
/// REST API (JSON objects, <c>Status</c> errors, list/watch with resource versions, patches, owner-reference
/// garbage collection) for the resources in <see cref="FakeApiResource.BuiltIn"/>, so that the real client
/// library can be pointed at it. Nothing is scheduled or run unless a <see cref="SimulatedKubelet"/> is started.
/// </summary>
public sealed class FakeKubernetesApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FaultInjector _faults;
    private readonly RequestLog _log;
    private readonly CancellationTokenSource _stopping;
    private readonly Task _bookmarks;
    private readonly List<string> _kubeconfigFiles = [];
    private SimulatedKubelet? _kubelet;

    private FakeKubernetesApiServer(WebApplication app, FakeObjectStore store, FaultInjector faults, RequestLog log, CancellationTokenSource stopping, TimeSpan bookmarkInterval)
    {
        _app = app;
        Objects = store;
        _faults = faults;
        _log = log;
        _stopping = stopping;
        Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _bookmarks = SendBookmarksAsync(bookmarkInterval);
    }

    /// <summary>The server's base address, <c>http://127.0.0.1:{port}</c>; use it as the client configuration's host.</summary>
    public Uri Url { get; }

    /// <summary>The server's state, for reading and writing objects without HTTP and for awaiting changes.</summary>
    public FakeObjectStore Objects { get; }

    /// <summary>Every request received so far, in order (injected failures included).</summary>
    public IReadOnlyList<FakeRequest> Requests => _log.Snapshot();

    /// <summary>How many watch streams are open right now; tests wait for a client's watch before changing things.</summary>
    public int OpenWatchCount => Objects.OpenWatchCount;

    /// <summary>Starts a fake on 127.0.0.1 with a free port.</summary>
    public static async Task<FakeKubernetesApiServer> StartAsync(FakeKubernetesApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FakeKubernetesApiServerOptions();
        var store = new FakeObjectStore(options.WatchHistorySize);
        var faults = new FaultInjector();
        var log = new RequestLog();
        var stopping = new CancellationTokenSource();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var handler = new ApiRequestHandler(store, options, faults, log, stopping.Token);
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);
        return new FakeKubernetesApiServer(app, store, faults, log, stopping, options.BookmarkInterval);
    }

    /// <summary>
    /// Writes a kubeconfig file whose current context points at this server (namespace <c>default</c>, a dummy
    /// token), for code that loads kubeconfig files. Without a path, a temporary file is used and deleted on dispose.
    /// </summary>
    public string WriteKubeconfig(string? path = null)
    {
        if (path is null)
        {
            path = Path.Combine(Path.GetTempPath(), $"fake-kubeconfig-{Guid.NewGuid():N}.yaml");
            _kubeconfigFiles.Add(path);
        }
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {Url.GetLeftPart(UriPartial.Authority)}
            users:
            - name: fake
              user:
                token: fake-token
            contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
                namespace: default
            current-context: fake

            """);
        return path;
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> requests that match (all requests when no matcher is given) fail
    /// with a <c>Status</c> body of that code, as the real server would send it (429 comes with Retry-After: 1).
    /// </summary>
    public void FailNext(int count, int statusCode, Func<FakeRequest, bool>? match = null) => _faults.Add(count, statusCode, match);

    /// <summary>Forgets the requests logged so far.</summary>
    public void ClearRequests() => _log.Clear();

    /// <summary>
    /// Ends every open watch with an ERROR event carrying a 410 Expired status and compacts the history, so that
    /// resuming from any resource version seen so far fails with 410 and clients must list again.
    /// </summary>
    public void ExpireWatches() => Objects.ExpireWatches();

    /// <summary>
    /// Ends every open watch stream: cleanly (as when a server-side watch timeout passes) or, with
    /// <paramref name="abortConnections"/>, by cutting the connection mid-stream.
    /// </summary>
    public void CloseWatches(bool abortConnections = false) => Objects.CloseWatches(abortConnections);

    /// <summary>Starts the simulated kubelet and endpoints controller for this server; it stops with the server.</summary>
    public SimulatedKubelet StartKubelet(SimulatedKubeletOptions? options = null)
    {
        if (_kubelet is not null)
        {
            throw new InvalidOperationException("This fake API server already has a kubelet.");
        }
        _kubelet = new SimulatedKubelet(Objects, options ?? new SimulatedKubeletOptions());
        return _kubelet;
    }

    public async ValueTask DisposeAsync()
    {
        if (_kubelet is not null)
        {
            await _kubelet.DisposeAsync();
        }
        await _stopping.CancelAsync();
        await _bookmarks;
        await Objects.ShutdownAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        foreach (var file in _kubeconfigFiles)
        {
            File.Delete(file);
        }
    }

    private async Task SendBookmarksAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                Objects.SendBookmarks();
            }
        }
        catch (OperationCanceledException)
        {
            // The server is stopping.
        }
    }
}
