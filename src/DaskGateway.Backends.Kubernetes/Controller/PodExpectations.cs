using k8s.Models;

namespace DaskGateway.Backends.Kubernetes.Controller;

/// <summary>
/// Pods this controller created or deleted whose watch events have not arrived yet. Counting
/// workers from the watch cache alone would create duplicates (or delete too many) while the
/// watch lags; these expectations fill the gap until the cache catches up, or until they expire
/// (a lost event must not block scaling forever). After a restart there are none: the cache,
/// listed before any reconciliation, is the truth.
/// </summary>
internal sealed class PodExpectations
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<string, Dictionary<string, (V1Pod Pod, DateTimeOffset Since)>> _created = [];
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _deleted = [];

    public PodExpectations(TimeProvider timeProvider, TimeSpan timeout)
    {
        _timeProvider = timeProvider;
        _timeout = timeout;
    }

    public void ExpectCreated(string clusterKey, V1Pod pod)
    {
        lock (_lock)
        {
            Entries(_created, clusterKey)[pod.Metadata.Name] = (pod, _timeProvider.GetUtcNow());
        }
    }

    public void ExpectDeleted(string clusterKey, string podName)
    {
        lock (_lock)
        {
            Entries(_deleted, clusterKey)[podName] = _timeProvider.GetUtcNow();
            if (_created.TryGetValue(clusterKey, out var created))
            {
                created.Remove(podName);
            }
        }
    }

    /// <summary>True while a pod created for the cluster under <paramref name="podName"/> has not been seen.</summary>
    public bool IsCreationExpected(string clusterKey, string podName)
    {
        lock (_lock)
        {
            return _created.TryGetValue(clusterKey, out var created) && created.TryGetValue(podName, out var entry) && !Expired(entry.Since);
        }
    }

    /// <summary>
    /// The cluster's pods as they will be once the pending events arrive: the cached ones, without
    /// those being deleted, plus those created and not yet seen. Expectations the cache has met are dropped.
    /// </summary>
    public IReadOnlyList<V1Pod> Effective(string clusterKey, IReadOnlyList<V1Pod> cached)
    {
        lock (_lock)
        {
            var names = cached.Select(pod => pod.Metadata.Name).ToHashSet(StringComparer.Ordinal);
            var result = new List<V1Pod>();
            var deleted = _deleted.GetValueOrDefault(clusterKey);
            if (deleted is not null)
            {
                foreach (var (name, since) in deleted.ToList())
                {
                    if (!names.Contains(name) || Expired(since))
                    {
                        deleted.Remove(name);
                    }
                }
            }

            result.AddRange(cached.Where(pod => deleted is null || !deleted.ContainsKey(pod.Metadata.Name)));
            if (_created.TryGetValue(clusterKey, out var created))
            {
                foreach (var (name, (pod, since)) in created.ToList())
                {
                    if (names.Contains(name) || Expired(since))
                    {
                        created.Remove(name);
                    }
                    else
                    {
                        result.Add(pod);
                    }
                }
            }

            return result;
        }
    }

    public void Forget(string clusterKey)
    {
        lock (_lock)
        {
            _created.Remove(clusterKey);
            _deleted.Remove(clusterKey);
        }
    }

    private static Dictionary<string, TValue> Entries<TValue>(Dictionary<string, Dictionary<string, TValue>> all, string clusterKey)
    {
        if (!all.TryGetValue(clusterKey, out var entries))
        {
            entries = new Dictionary<string, TValue>(StringComparer.Ordinal);
            all[clusterKey] = entries;
        }

        return entries;
    }

    private bool Expired(DateTimeOffset since) => _timeProvider.GetUtcNow() - since > _timeout;
}
