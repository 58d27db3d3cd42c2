using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// The fake API server's state: every object by resource, namespace and name, one global resource version, the
/// watch history and the open watches. Tests read and write it directly (no HTTP) through the public methods,
/// which bypass API semantics such as the status subresource; the HTTP handler uses the internal ones, which
/// apply them. Objects handed out are copies.
/// </summary>
public sealed class FakeObjectStore
{
    private const string GeneratedNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Group, string Version, string Plural), FakeApiResource> _resources = [];
    private readonly Dictionary<ObjectKey, JsonObject> _objects = [];
    private readonly Queue<StoredWatchEvent> _history = new();
    private readonly HashSet<WatchSubscription> _watches = [];
    private readonly Channel<FakeObjectChange> _changes = Channel.CreateUnbounded<FakeObjectChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly int _historySize;
    private readonly Task _changePump;
    // Never "0": a list reporting version 0 would make a client's follow-up watch mean "from any point" rather
    // than "from this list", which a real (never empty) cluster does not hand out either.
    private long _resourceVersion = 1;
    private long _compactedThrough;
    private int _serviceIpCount;

    internal FakeObjectStore(int historySize)
    {
        _historySize = historySize;
        foreach (var resource in FakeApiResource.BuiltIn)
        {
            Register(resource);
        }
        _changePump = Task.Run(PumpChangesAsync);
    }

    /// <summary>
    /// Raised after every change, in resource-version order, on one background thread (never under the store's
    /// lock, so handlers may read and write the store). Exceptions thrown by handlers are swallowed so that one
    /// faulty handler cannot stop the others from hearing later changes.
    /// </summary>
    public event EventHandler<FakeObjectChange>? Changed;

    /// <summary>The latest resource version handed out, as the string a list would report.</summary>
    public string ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Serves one more kind of object (e.g. another custom resource) at its group, version and plural.</summary>
    public void Register(FakeApiResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_gate)
        {
            _resources[(resource.Group, resource.Version, resource.Plural)] = resource;
        }
    }

    /// <summary>A copy of one object, or null if it does not exist.</summary>
    public JsonObject? Get(FakeApiResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(Key(resource, ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    /// <summary>Copies of the objects of a resource, in one namespace or all, optionally filtered by a label selector.</summary>
    public IReadOnlyList<JsonObject> List(FakeApiResource resource, string? ns = null, string? labelSelector = null)
    {
        var labels = LabelSelector.Parse(labelSelector);
        lock (_gate)
        {
            return Select(resource, ns, labels, FieldSelector.Everything).Select(pair => (JsonObject)pair.Value.DeepClone()).ToList();
        }
    }

    /// <summary>
    /// Stores an object as given, creating or replacing it without preconditions and with its <c>status</c>; the
    /// server still assigns uid, creation time and resource version. Returns the stored copy.
    /// </summary>
    public JsonObject Put(FakeApiResource resource, JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(obj);
        var metadata = obj["metadata"] as JsonObject;
        var ns = resource.Namespaced ? metadata?["namespace"]?.GetValue<string>() ?? "default" : "";
        lock (_gate)
        {
            var name = metadata?["name"]?.GetValue<string>();
            if (name is not null && _objects.TryGetValue(Key(resource, ns, name), out var current))
            {
                var replacement = (JsonObject)obj.DeepClone();
                KeepImmutableMetadata(resource, current, replacement);
                return Save(Key(resource, ns, name), replacement, current);
            }
            var created = PrepareNew(resource, ns, obj, keepStatus: true);
            return Save(Key(resource, ns, Name(created)), created, null);
        }
    }

    /// <summary>Changes an object in place (status included, no preconditions); returns the new copy, or null if it does not exist.</summary>
    public JsonObject? Update(FakeApiResource resource, string? ns, string name, Action<JsonObject> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            if (!_objects.TryGetValue(key, out var current))
            {
                return null;
            }
            var updated = (JsonObject)current.DeepClone();
            change(updated);
            KeepImmutableMetadata(resource, current, updated);
            return SaveIfChanged(key, updated, current);
        }
    }

    /// <summary>Deletes an object and, through owner references, its dependents; false if it did not exist.</summary>
    public bool Delete(FakeApiResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            if (!_objects.ContainsKey(key))
            {
                return false;
            }
            DeleteWithDependents(key, "Background");
            return true;
        }
    }

    /// <summary>Waits until an object of the resource satisfies the predicate (now or after a later change) and returns it.</summary>
    public async Task<JsonObject> WaitForAsync(FakeApiResource resource, Func<JsonObject, bool> predicate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var found = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(object? sender, FakeObjectChange change)
        {
            if (change.Type != "DELETED" && change.Resource == resource && predicate(change.Object))
            {
                found.TrySetResult(change.Object);
            }
        }
        // Subscribe before looking at the current state so that no change falls in between.
        Changed += OnChanged;
        try
        {
            if (List(resource).FirstOrDefault(predicate) is { } existing)
            {
                return existing;
            }
            return await found.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Changed -= OnChanged;
        }
    }

    internal FakeApiResource? FindResource(string group, string version, string plural)
    {
        lock (_gate)
        {
            return _resources.GetValueOrDefault((group, version, plural));
        }
    }

    internal int OpenWatchCount
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    internal JsonObject GetOrThrow(FakeApiResource resource, string ns, string name) =>
        Get(resource, ns, name) ?? throw ApiStatusException.NotFound(resource, name);

    internal JsonObject ListAsApi(FakeApiResource resource, string? ns, LabelSelector labels, FieldSelector fields, int? limit, string? continueToken)
    {
        lock (_gate)
        {
            var matching = Select(resource, ns, labels, fields).ToList();
            var start = 0;
            if (!string.IsNullOrEmpty(continueToken))
            {
                var after = DecodeContinue(continueToken);
                start = matching.FindIndex(pair => pair.Key.CompareTo(after) > 0);
                start = start < 0 ? matching.Count : start;
            }
            var count = limit is > 0 ? Math.Min(limit.Value, matching.Count - start) : matching.Count - start;
            var page = matching.GetRange(start, count);
            var metadata = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture) };
            var remaining = matching.Count - start - count;
            if (remaining > 0)
            {
                metadata["continue"] = EncodeContinue(page[^1].Key);
                metadata["remainingItemCount"] = remaining;
            }
            return new JsonObject
            {
                ["kind"] = resource.Kind + "List",
                ["apiVersion"] = resource.ApiVersion,
                ["metadata"] = metadata,
                ["items"] = new JsonArray(page.Select(pair => (JsonNode)pair.Value.DeepClone()).ToArray()),
            };
        }
    }

    internal JsonObject Create(FakeApiResource resource, string ns, JsonObject body)
    {
        lock (_gate)
        {
            var created = PrepareNew(resource, ns, body, keepStatus: false);
            var key = Key(resource, ns, Name(created));
            if (_objects.ContainsKey(key))
            {
                throw ApiStatusException.AlreadyExists(resource, key.Name);
            }
            return Save(key, created, null);
        }
    }

    /// <summary>PUT: replaces the object (or only its status), refusing a stale <c>metadata.resourceVersion</c>.</summary>
    internal JsonObject Replace(FakeApiResource resource, string ns, string name, JsonObject body, bool statusOnly)
    {
        if (body["metadata"]?["name"]?.GetValue<string>() is { } bodyName && bodyName != name)
        {
            throw ApiStatusException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            var current = _objects.GetValueOrDefault(key) ?? throw ApiStatusException.NotFound(resource, name);
            return SaveUpdate(key, current, body, statusOnly);
        }
    }

    /// <summary>PATCH: applies the patch to the current object under the lock, then stores it like a replace.</summary>
    internal JsonObject Patch(FakeApiResource resource, string ns, string name, Func<JsonObject, JsonObject> applyPatch, bool statusOnly)
    {
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            var current = _objects.GetValueOrDefault(key) ?? throw ApiStatusException.NotFound(resource, name);
            var patched = applyPatch((JsonObject)current.DeepClone());
            return SaveUpdate(key, current, patched, statusOnly);
        }
    }

    /// <summary>DELETE: checks the options' preconditions, deletes with dependents per the propagation policy.</summary>
    internal JsonObject DeleteAsApi(FakeApiResource resource, string ns, string name, JsonObject? options, string? propagationPolicy)
    {
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            var current = _objects.GetValueOrDefault(key) ?? throw ApiStatusException.NotFound(resource, name);
            var preconditions = options?["preconditions"];
            if ((preconditions?["uid"]?.GetValue<string>() is { } uid && uid != Uid(current))
                || (preconditions?["resourceVersion"]?.GetValue<string>() is { } version && version != Version(current)))
            {
                throw ApiStatusException.Conflict(resource, name);
            }
            var policy = propagationPolicy ?? options?["propagationPolicy"]?.GetValue<string>()
                ?? (options?["orphanDependents"]?.GetValue<bool>() == true ? "Orphan" : "Background");
            var deleted = DeleteWithDependents(key, policy);
            return resource.ReturnsObjectOnDelete ? deleted : StatusBodies.Success(resource, name, Uid(current));
        }
    }

    /// <summary>
    /// Opens a watch. Without a resource version (or with "0") it starts with an ADDED event for every matching
    /// object, like a real server; with one, it replays the history after it, or fails with 410 if the history no
    /// longer reaches back that far.
    /// </summary>
    internal WatchSubscription Watch(FakeApiResource resource, string? ns, LabelSelector labels, FieldSelector fields, string? resourceVersion, bool allowBookmarks)
    {
        var subscription = new WatchSubscription(resource, ns, labels, fields, allowBookmarks);
        lock (_gate)
        {
            if (string.IsNullOrEmpty(resourceVersion) || resourceVersion == "0")
            {
                foreach (var (_, obj) in Select(resource, ns, labels, fields))
                {
                    subscription.Send("ADDED", obj.ToJsonString());
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                {
                    throw ApiStatusException.BadRequest($"invalid resource version \"{resourceVersion}\"");
                }
                if (from < _compactedThrough)
                {
                    throw ApiStatusException.Expired(from, _compactedThrough + 1);
                }
                foreach (var change in _history.Where(change => change.ResourceVersion > from))
                {
                    subscription.Offer(change);
                }
            }
            _watches.Add(subscription);
        }
        return subscription;
    }

    internal void StopWatching(WatchSubscription subscription)
    {
        lock (_gate)
        {
            _watches.Remove(subscription);
        }
    }

    /// <summary>
    /// Ends every open watch with an ERROR event carrying a 410 Expired status and forgets the history, so that
    /// resuming from any resource version handed out so far fails with 410 and clients have to list again.
    /// </summary>
    internal void ExpireWatches()
    {
        lock (_gate)
        {
            // A real server's compaction moves on with the store's revision; advancing it here makes the version
            // a fresh list reports differ from every one handed out before, so only those are refused.
            _resourceVersion++;
            _compactedThrough = _resourceVersion;
            _history.Clear();
            var expired = StatusBodies.Failure(410, "Expired", "The resourceVersion for the provided watch is too old.").ToJsonString();
            foreach (var watch in _watches)
            {
                watch.Send("ERROR", expired);
                watch.End(abort: false);
            }
            _watches.Clear();
        }
    }

    internal void CloseWatches(bool abort)
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                watch.End(abort);
            }
            _watches.Clear();
        }
    }

    internal void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (var watch in _watches.Where(watch => watch.AllowBookmarks))
            {
                var bookmark = new JsonObject
                {
                    ["kind"] = watch.Resource.Kind,
                    ["apiVersion"] = watch.Resource.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture) },
                };
                watch.Send("BOOKMARK", bookmark.ToJsonString());
            }
        }
    }

    internal async Task ShutdownAsync()
    {
        CloseWatches(abort: false);
        _changes.Writer.TryComplete();
        await _changePump;
    }

    private static ObjectKey Key(FakeApiResource resource, string? ns, string name) =>
        new(resource, resource.Namespaced ? ns ?? "default" : "", name);

    private static string Name(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string? Uid(JsonObject obj) => obj["metadata"]?["uid"]?.GetValue<string>();

    private static string? Version(JsonObject obj) => obj["metadata"]?["resourceVersion"]?.GetValue<string>();

    private static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static string EncodeContinue(ObjectKey key) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key.Namespace}/{key.Name}"));

    private ObjectKey DecodeContinue(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            return new ObjectKey(FakeApiResource.Pods, text[..slash], text[(slash + 1)..]);
        }
        catch (FormatException)
        {
            throw ApiStatusException.BadRequest("continue key is not valid");
        }
        catch (ArgumentOutOfRangeException)
        {
            throw ApiStatusException.BadRequest("continue key is not valid");
        }
    }

    private IEnumerable<KeyValuePair<ObjectKey, JsonObject>> Select(FakeApiResource resource, string? ns, LabelSelector labels, FieldSelector fields) =>
        _objects
            .Where(pair => pair.Key.Resource == resource && (ns is null || pair.Key.Namespace == ns) && labels.Matches(pair.Value) && fields.Matches(pair.Value))
            .OrderBy(pair => pair.Key);

    /// <summary>What the server fills in on create: identity, timestamps, defaults, and a name from generateName.</summary>
    private JsonObject PrepareNew(FakeApiResource resource, string ns, JsonObject body, bool keepStatus)
    {
        var obj = (JsonObject)body.DeepClone();
        var metadata = obj["metadata"] as JsonObject ?? [];
        obj["metadata"] = metadata;
        if (resource.Namespaced)
        {
            if (metadata["namespace"]?.GetValue<string>() is { } bodyNamespace && bodyNamespace != ns)
            {
                throw ApiStatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            metadata["namespace"] = ns;
        }
        if (string.IsNullOrEmpty(metadata["name"]?.GetValue<string>()))
        {
            var prefix = metadata["generateName"]?.GetValue<string>();
            if (string.IsNullOrEmpty(prefix))
            {
                throw ApiStatusException.Invalid(resource, "", "metadata.name: Required value: name or generateName is required");
            }
            string generated;
            do
            {
                generated = prefix + new string(Random.Shared.GetItems(GeneratedNameAlphabet.AsSpan(), 5));
            }
            while (_objects.ContainsKey(Key(resource, ns, generated)));
            metadata["name"] = generated;
        }
        obj["kind"] = resource.Kind;
        obj["apiVersion"] = resource.ApiVersion;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now();
        metadata.Remove("deletionTimestamp");
        if (resource.HasStatusSubresource)
        {
            metadata["generation"] = 1L;
        }
        if (!keepStatus && resource.HasStatusSubresource)
        {
            obj.Remove("status");
        }
        ApplyDefaults(resource, obj);
        return obj;
    }

    /// <summary>The few defaults and allocations of the real API server that controllers look at.</summary>
    private void ApplyDefaults(FakeApiResource resource, JsonObject obj)
    {
        if (resource == FakeApiResource.Pods)
        {
            var spec = obj["spec"] as JsonObject ?? [];
            obj["spec"] = spec;
            spec["restartPolicy"] ??= "Always";
            obj["status"] ??= new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
        }
        else if (resource == FakeApiResource.Services)
        {
            var spec = obj["spec"] as JsonObject ?? [];
            obj["spec"] = spec;
            spec["type"] ??= "ClusterIP";
            if (spec["clusterIP"] is null)
            {
                _serviceIpCount++;
                spec["clusterIP"] = $"10.96.{_serviceIpCount / 250}.{(_serviceIpCount % 250) + 1}";
            }
            spec["clusterIPs"] ??= new JsonArray(spec["clusterIP"]!.DeepClone());
            obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
        }
    }

    private static void KeepImmutableMetadata(FakeApiResource resource, JsonObject current, JsonObject updated)
    {
        var metadata = updated["metadata"] as JsonObject ?? [];
        updated["metadata"] = metadata;
        foreach (var field in (string[])["name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp"])
        {
            var kept = current["metadata"]?[field]?.DeepClone();
            if (kept is null)
            {
                metadata.Remove(field);
            }
            else
            {
                metadata[field] = kept;
            }
        }
        updated["kind"] = resource.Kind;
        updated["apiVersion"] = resource.ApiVersion;
    }

    /// <summary>The API's update rules for PUT and PATCH: the resource version precondition and the status subresource.</summary>
    private JsonObject SaveUpdate(ObjectKey key, JsonObject current, JsonObject incoming, bool statusOnly)
    {
        var resource = key.Resource;
        if (Version(incoming) is { Length: > 0 } expected && expected != Version(current))
        {
            throw ApiStatusException.Conflict(resource, key.Name);
        }
        JsonObject updated;
        if (statusOnly)
        {
            updated = (JsonObject)current.DeepClone();
            updated["status"] = incoming["status"]?.DeepClone();
        }
        else
        {
            updated = (JsonObject)incoming.DeepClone();
            if (resource.HasStatusSubresource)
            {
                updated["status"] = current["status"]?.DeepClone();
            }
        }
        if (updated["status"] is null)
        {
            updated.Remove("status");
        }
        KeepImmutableMetadata(resource, current, updated);
        if (resource.HasStatusSubresource && !statusOnly && !SameExceptMetadataAndStatus(current, updated))
        {
            // Parsed from text rather than read as a long: a directly stored object may hold it as any number type.
            var generation = long.TryParse(current["metadata"]?["generation"]?.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out var known) ? known : 0;
            updated["metadata"]!["generation"] = generation + 1;
        }
        return SaveIfChanged(key, updated, current);
    }

    private static bool SameExceptMetadataAndStatus(JsonObject a, JsonObject b)
    {
        var left = (JsonObject)a.DeepClone();
        var right = (JsonObject)b.DeepClone();
        foreach (var obj in (JsonObject[])[left, right])
        {
            obj.Remove("metadata");
            obj.Remove("status");
        }
        return JsonNode.DeepEquals(left, right);
    }

    /// <summary>A real server neither bumps the resource version nor tells watchers about an update that changes nothing.</summary>
    private JsonObject SaveIfChanged(ObjectKey key, JsonObject updated, JsonObject current)
    {
        updated["metadata"]!["resourceVersion"] = Version(current);
        return JsonNode.DeepEquals(updated, current) ? (JsonObject)current.DeepClone() : Save(key, updated, current);
    }

    private JsonObject Save(ObjectKey key, JsonObject obj, JsonObject? previous)
    {
        _resourceVersion++;
        obj["metadata"]!["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        _objects[key] = obj;
        Record(previous is null ? "ADDED" : "MODIFIED", key, obj, previous);
        return (JsonObject)obj.DeepClone();
    }

    /// <summary>
    /// Deletes an object and garbage-collects what it owns, transitively. The real collector works in the
    /// background; the fake does it at once, owner first (Background) or dependents first (Foreground).
    /// Orphan removes the owner references from the dependents instead.
    /// </summary>
    private JsonObject DeleteWithDependents(ObjectKey key, string policy)
    {
        // Stored objects are shared with the watch history, so the deleted state is a copy.
        var obj = (JsonObject)_objects[key].DeepClone();
        var uid = Uid(obj);
        var dependents = _objects
            .Where(pair => pair.Value["metadata"]?["ownerReferences"] is JsonArray owners && owners.Any(owner => owner?["uid"]?.GetValue<string>() == uid))
            .Select(pair => pair.Key)
            .OrderBy(dependent => dependent)
            .ToList();
        if (policy == "Foreground")
        {
            DeleteDependents(dependents, policy);
        }
        _objects.Remove(key);
        _resourceVersion++;
        obj["metadata"]!["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        Record("DELETED", key, obj, null);
        if (policy == "Orphan")
        {
            foreach (var dependent in dependents)
            {
                var current = _objects[dependent];
                var orphaned = (JsonObject)current.DeepClone();
                var owners = (JsonArray)orphaned["metadata"]!["ownerReferences"]!;
                foreach (var owner in owners.Where(owner => owner?["uid"]?.GetValue<string>() == uid).ToList())
                {
                    owners.Remove(owner);
                }
                if (owners.Count == 0)
                {
                    ((JsonObject)orphaned["metadata"]!).Remove("ownerReferences");
                }
                Save(dependent, orphaned, current);
            }
        }
        else if (policy != "Foreground")
        {
            DeleteDependents(dependents, policy);
        }
        return (JsonObject)obj.DeepClone();
    }

    private void DeleteDependents(List<ObjectKey> dependents, string policy)
    {
        // A dependent may already be gone through another owner it shared with this one.
        foreach (var dependent in dependents.Where(_objects.ContainsKey))
        {
            DeleteWithDependents(dependent, policy);
        }
    }

    private void Record(string type, ObjectKey key, JsonObject obj, JsonObject? previous)
    {
        var change = new StoredWatchEvent(_resourceVersion, type, key, obj, previous, obj.ToJsonString());
        _history.Enqueue(change);
        while (_history.Count > _historySize)
        {
            _compactedThrough = _history.Dequeue().ResourceVersion;
        }
        foreach (var watch in _watches)
        {
            watch.Offer(change);
        }
        _changes.Writer.TryWrite(new FakeObjectChange(type, key.Resource, (JsonObject)obj.DeepClone()));
    }

    private async Task PumpChangesAsync()
    {
        await foreach (var change in _changes.Reader.ReadAllAsync())
        {
            try
            {
                Changed?.Invoke(this, change);
            }
            catch (Exception)
            {
                // See Changed: a handler's failure is its own test's business.
            }
        }
    }
}
