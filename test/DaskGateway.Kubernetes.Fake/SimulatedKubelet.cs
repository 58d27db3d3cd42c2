using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// A stand-in for the kubelet, the scheduler and the endpoints controller, driven by changes to the fake's
/// state: new pods go Pending → Running (node, unique 10.244.x.y IP, start time, Ready conditions, one running
/// status per container) after <see cref="SimulatedKubeletOptions.StartDelay"/>, and every Service with a
/// selector gets an Endpoints object listing its pods. Containers never stop on their own: tests end them with
/// <see cref="TerminatePod"/>, whatever the restart policy (a real kubelet would restart <c>OnFailure</c> pods).
/// Pod deletion is immediate (no graceful termination) and init containers are not simulated.
/// </summary>
public sealed class SimulatedKubelet : IAsyncDisposable
{
    private readonly FakeObjectStore _store;
    private readonly SimulatedKubeletOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<string> _seenPods = [];
    private readonly List<PendingHold> _holds = [];
    private readonly Dictionary<string, (string Namespace, string Name)> _heldPods = [];
    private readonly List<Task> _work = [];
    private int _podIpCount;

    internal SimulatedKubelet(FakeObjectStore store, SimulatedKubeletOptions options)
    {
        _store = store;
        _options = options;
        _store.Changed += OnChanged;
        // Pods and services that were there before the kubelet came get the same treatment as new ones.
        foreach (var pod in _store.List(FakeApiResource.Pods))
        {
            Notice(pod);
        }
        foreach (var ns in _store.List(FakeApiResource.Services).Select(Namespace).Distinct())
        {
            RefreshEndpoints(ns);
        }
    }

    /// <summary>
    /// Keeps pods that match Pending and unschedulable (condition PodScheduled=False, reason Unschedulable) until
    /// the returned handle is disposed; then they start as usual.
    /// </summary>
    public IDisposable KeepPending(Func<JsonObject, bool> match)
    {
        var hold = new PendingHold(match, Release);
        lock (_gate)
        {
            _holds.Add(hold);
        }
        return hold;
    }

    /// <summary>
    /// Ends a pod's containers: exit code 0 makes the pod Succeeded (reason Completed), anything else Failed
    /// (reason Error unless given), with the message in <c>state.terminated</c>. False if the pod does not exist.
    /// </summary>
    public bool TerminatePod(string ns, string name, int exitCode = 0, string? reason = null, string? message = null) =>
        _store.Update(FakeApiResource.Pods, ns, name, pod => PodStatuses.MarkTerminated(pod, exitCode, reason, message)) is not null;

    /// <summary>Makes a running pod ready or not ready (as its readiness probe passing or failing). False if it does not run.</summary>
    public bool SetPodReady(string ns, string name, bool ready)
    {
        var pod = _store.Get(FakeApiResource.Pods, ns, name);
        if (pod?["status"]?["phase"]?.GetValue<string>() != "Running")
        {
            return false;
        }
        _store.Update(FakeApiResource.Pods, ns, name, running => PodStatuses.MarkReady(running, ready));
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _store.Changed -= OnChanged;
        await _stopping.CancelAsync();
        Task[] work;
        lock (_gate)
        {
            work = [.. _work];
        }
        await Task.WhenAll(work);
        _stopping.Dispose();
    }

    private static string Namespace(JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>() ?? "default";

    private static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string Uid(JsonObject obj) => obj["metadata"]?["uid"]?.GetValue<string>() ?? "";

    private void OnChanged(object? sender, FakeObjectChange change)
    {
        if (change.Resource == FakeApiResource.Pods)
        {
            if (change.Type != "DELETED")
            {
                Notice(change.Object);
            }
            RefreshEndpoints(Namespace(change.Object));
        }
        else if (change.Resource == FakeApiResource.Services)
        {
            if (change.Type == "DELETED" && EndpointsBuilder.Selector(change.Object) is not null)
            {
                _store.Delete(FakeApiResource.Endpoints, Namespace(change.Object), Name(change.Object));
            }
            RefreshEndpoints(Namespace(change.Object));
        }
    }

    /// <summary>Schedules the start of a pod seen for the first time.</summary>
    private void Notice(JsonObject pod)
    {
        if (pod["status"]?["phase"]?.GetValue<string>() is not (null or "Pending"))
        {
            return;
        }
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || !_seenPods.Add(Uid(pod)))
            {
                return;
            }
            Track(StartAsync(Namespace(pod), Name(pod), Uid(pod)));
        }
    }

    private void Track(Task task)
    {
        _work.RemoveAll(done => done.IsCompleted);
        _work.Add(task);
    }

    private async Task StartAsync(string ns, string name, string uid)
    {
        try
        {
            await Task.Delay(_options.StartDelay, _stopping.Token);
            if (_store.Get(FakeApiResource.Pods, ns, name) is not { } pod || Uid(pod) != uid)
            {
                return;
            }
            lock (_gate)
            {
                if (_holds.Any(hold => hold.Holds(pod)))
                {
                    _heldPods[uid] = (ns, name);
                    _store.Update(FakeApiResource.Pods, ns, name, held => PodStatuses.MarkUnschedulable(held));
                    return;
                }
            }
            var ip = NextPodIp();
            var ready = _options.ReadyDelay <= TimeSpan.Zero;
            var started = _store.Update(FakeApiResource.Pods, ns, name, starting =>
            {
                // A pod terminated by the test before it got here keeps that state.
                if (Uid(starting) == uid && starting["status"]?["phase"]?.GetValue<string>() is null or "Pending")
                {
                    PodStatuses.MarkRunning(starting, _options.NodeName, ip, ready);
                }
            });
            if (!ready && started?["status"]?["podIP"]?.GetValue<string>() == ip)
            {
                await Task.Delay(_options.ReadyDelay, _stopping.Token);
                SetPodReady(ns, name, true);
            }
        }
        catch (OperationCanceledException)
        {
            // The kubelet is stopping.
        }
    }

    private string NextPodIp()
    {
        var n = Interlocked.Increment(ref _podIpCount);
        return $"10.244.{n / 250}.{(n % 250) + 1}";
    }

    private void Release(PendingHold hold)
    {
        lock (_gate)
        {
            _holds.Remove(hold);
            foreach (var (uid, (ns, name)) in _heldPods.ToList())
            {
                if (_store.Get(FakeApiResource.Pods, ns, name) is { } pod && _holds.Any(other => other.Holds(pod)))
                {
                    continue;
                }
                _heldPods.Remove(uid);
                if (!_stopping.IsCancellationRequested)
                {
                    Track(StartAsync(ns, name, uid));
                }
            }
        }
    }

    /// <summary>Brings the Endpoints of every selector Service in a namespace in line with its pods.</summary>
    private void RefreshEndpoints(string ns)
    {
        var pods = _store.List(FakeApiResource.Pods, ns);
        foreach (var service in _store.List(FakeApiResource.Services, ns).Where(service => EndpointsBuilder.Selector(service) is not null))
        {
            var desired = EndpointsBuilder.Build(service, pods);
            var existing = _store.Get(FakeApiResource.Endpoints, ns, Name(service));
            if (existing is null)
            {
                _store.Put(FakeApiResource.Endpoints, desired);
            }
            else if (!JsonNode.DeepEquals(existing["subsets"], desired["subsets"]) || !JsonNode.DeepEquals(existing["metadata"]?["labels"], desired["metadata"]!["labels"]))
            {
                _store.Update(FakeApiResource.Endpoints, ns, Name(service), current =>
                {
                    current["metadata"]!["labels"] = desired["metadata"]!["labels"]!.DeepClone();
                    current["subsets"] = desired["subsets"]?.DeepClone();
                    if (current["subsets"] is null)
                    {
                        current.Remove("subsets");
                    }
                });
            }
        }
    }
}
