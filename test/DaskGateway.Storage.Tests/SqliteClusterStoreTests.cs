using DaskGateway.Clusters;
using DaskGateway.Storage;
using DaskGateway.Storage.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Storage;

public sealed class SqliteClusterStoreTests : IAsyncDisposable
{
    private static readonly CancellationToken Ct = TestDatabase.CancellationToken;
    private readonly TestDatabase _db = new();
    private readonly string _key = EncryptionKeys.GenerateKey();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task NewFile_LoadsEmpty_AndIsDurable()
    {
        var store = _db.Open(_key);

        var contents = await store.LoadAsync(Ct).Timed();

        Assert.True(store.IsDurable);
        Assert.Empty(contents.Clusters);
        Assert.Empty(contents.Workers);
        Assert.Empty(contents.Events);
    }

    [Fact]
    public async Task ClustersWorkersAndEvents_RoundTripThroughTheFile()
    {
        // Written without loading first: the writer makes the schema on first use.
        var store = _db.Open(_key);
        var late = TestRecords.Cluster("late", startTime: 1_700_000_009_000, withTls: true);
        var early = TestRecords.Cluster("early", startTime: 1_700_000_001_000, stopTime: 1_700_000_002_000);
        var sameTimeAsLate = TestRecords.Cluster("same-time-as-late", startTime: 1_700_000_009_000);
        WorkerRecord[] workers =
        [
            TestRecords.Worker("late", "w2"),
            TestRecords.Worker("late", "w1", stopTime: 1_700_000_005_000),
            TestRecords.Worker("early", "w1"),
        ];
        ClusterEventRecord[] events =
        [
            TestRecords.Event("late", 30, "third"),
            TestRecords.Event("late", 10, "first"),
            TestRecords.Event("late", 20, "second"),
            TestRecords.Event("early", 5, "only"),
        ];
        await store.SaveClusterAsync(late, Ct).Timed();
        await store.SaveClusterAsync(early, Ct).Timed();
        await store.SaveClusterAsync(sameTimeAsLate, Ct).Timed();
        foreach (var worker in workers)
        {
            await store.SaveWorkerAsync(worker, Ct).Timed();
        }

        foreach (var clusterEvent in events)
        {
            await store.AddEventAsync(clusterEvent, Ct).Timed();
        }

        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);

        Assert.Equal([early, late, sameTimeAsLate], contents.Clusters);
        Assert.Equal([workers[2], workers[0], workers[1]], contents.Workers);
        Assert.Equal([events[3], events[1], events[2], events[0]], contents.Events);
    }

    [Fact]
    public async Task ClusterWithThousandsOfEvents_DoesNotGrowTheFile_KeepingTheFirstAndTheLatest()
    {
        var store = _db.Open(_key);
        await store.SaveClusterAsync(TestRecords.Cluster("busy"), Ct).Timed();
        await store.SaveClusterAsync(TestRecords.Cluster("quiet"), Ct).Timed();
        await store.AddEventAsync(TestRecords.Event("quiet", 1, "only"), Ct).Timed();
        const int Count = 3000;
        await Task.WhenAll(Enumerable.Range(0, Count).Select(i => store.AddEventAsync(TestRecords.Event("busy", i, $"event {i}"), Ct))).Timed();
        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);

        var busy = contents.Events.Where(e => e.ClusterName == "busy").Select(e => e.Message).ToList();
        string[] expected =
        [
            .. Enumerable.Range(0, ClusterEventLimits.KeptFirst).Select(i => $"event {i}"),
            .. Enumerable.Range(Count - ClusterEventLimits.KeptLatest, ClusterEventLimits.KeptLatest).Select(i => $"event {i}"),
        ];
        Assert.Equal(expected, busy);
        Assert.Equal(["only"], contents.Events.Where(e => e.ClusterName == "quiet").Select(e => e.Message));
        Assert.Equal(ClusterEventLimits.MaxEvents + 1, _db.Scalar("SELECT count(*) FROM cluster_events"));
    }

    [Fact]
    public async Task EventWithAHugeMessage_IsStoredCutToTheBound()
    {
        var store = _db.Open(_key);
        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();
        await store.AddEventAsync(TestRecords.Event("c", 1, new string('x', 10 * 1024 * 1024)), Ct).Timed();
        await TestDatabase.CloseAsync(store);

        Assert.Equal(ClusterEventLimits.MaxMessageLength, _db.Scalar("SELECT max(length(message)) FROM cluster_events"));
        var message = Assert.Single((await _db.LoadAsync(_key)).Events).Message;
        Assert.EndsWith($" [… {10 * 1024 * 1024} characters, cut]", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SavingAClusterAgain_ReplacesItsRow_AndKeepsItsWorkersAndEvents()
    {
        var store = _db.Open(_key);
        var cluster = TestRecords.Cluster("c", withTls: true);
        await store.SaveClusterAsync(cluster, Ct).Timed();
        await store.SaveWorkerAsync(TestRecords.Worker("c", "w"), Ct).Timed();
        await store.AddEventAsync(TestRecords.Event("c", 1), Ct).Timed();

        var changed = cluster with
        {
            Status = 5,
            Target = 5,
            Count = 0,
            StateJson = "{}",
            Token = "another-token",
            TlsCertificate = null,
            TlsKey = null,
            SchedulerAddress = "",
            StopTime = 1_700_000_100_000,
        };
        await store.SaveClusterAsync(changed, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);

        Assert.Equal([changed], contents.Clusters);
        Assert.Single(contents.Workers);
        Assert.Single(contents.Events);
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM clusters"));
    }

    [Fact]
    public async Task SavingAWorkerAgain_ReplacesIt_AndWorkerNamesAreScopedToTheirCluster()
    {
        var store = _db.Open(_key);
        await store.SaveClusterAsync(TestRecords.Cluster("a"), Ct).Timed();
        await store.SaveClusterAsync(TestRecords.Cluster("b"), Ct).Timed();
        await store.SaveWorkerAsync(TestRecords.Worker("a", "w"), Ct).Timed();
        await store.SaveWorkerAsync(TestRecords.Worker("b", "w"), Ct).Timed();

        var stopped = TestRecords.Worker("a", "w", stopTime: 1_700_000_200_000) with { Status = 5, Target = 5, StateJson = "{}" };
        await store.SaveWorkerAsync(stopped, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);

        Assert.Equal([stopped, TestRecords.Worker("b", "w")], contents.Workers);
    }

    [Fact]
    public async Task Timestamps_Are64BitMilliseconds()
    {
        const long year2100 = 4_102_444_800_000;
        var store = _db.Open(_key);
        var cluster = TestRecords.Cluster("c", startTime: year2100, stopTime: long.MaxValue);
        var worker = TestRecords.Worker("c", "w", startTime: year2100 + 1, stopTime: year2100 + 2);
        var clusterEvent = TestRecords.Event("c", year2100 + 3);
        await store.SaveClusterAsync(cluster, Ct).Timed();
        await store.SaveWorkerAsync(worker, Ct).Timed();
        await store.AddEventAsync(clusterEvent, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);

        Assert.Equal(year2100, Assert.Single(contents.Clusters).StartTime);
        Assert.Equal(long.MaxValue, contents.Clusters[0].StopTime);
        Assert.Equal(worker, Assert.Single(contents.Workers));
        Assert.Equal(clusterEvent, Assert.Single(contents.Events));
    }

    [Fact]
    public async Task DeleteClustersStoppedBefore_DeletesOldStoppedClusters_WithTheirWorkersAndEvents()
    {
        var store = _db.Open(_key);
        (string Name, long? StopTime)[] clusters = [("old", 100), ("older", 50), ("recent", 1000), ("running", null)];
        foreach (var (name, stopTime) in clusters)
        {
            await store.SaveClusterAsync(TestRecords.Cluster(name, stopTime: stopTime), Ct).Timed();
            await store.SaveWorkerAsync(TestRecords.Worker(name, "w1"), Ct).Timed();
            await store.SaveWorkerAsync(TestRecords.Worker(name, "w2"), Ct).Timed();
            await store.AddEventAsync(TestRecords.Event(name, 1), Ct).Timed();
        }

        var deleted = await store.DeleteClustersStoppedBeforeAsync(cutoff: 1000, Ct).Timed();

        Assert.Equal(2, deleted);
        Assert.Equal(0, await store.DeleteClustersStoppedBeforeAsync(cutoff: 1000, Ct).Timed());
        await TestDatabase.CloseAsync(store);
        var contents = await _db.LoadAsync(_key);
        Assert.Equal(["recent", "running"], contents.Clusters.Select(c => c.Name));
        Assert.Equal(["recent", "recent", "running", "running"], contents.Workers.Select(w => w.ClusterName));
        Assert.Equal(["recent", "running"], contents.Events.Select(e => e.ClusterName));
        Assert.Equal(4, _db.Scalar("SELECT count(*) FROM workers"));
        Assert.Equal(2, _db.Scalar("SELECT count(*) FROM cluster_events"));
    }

    [Fact]
    public async Task AThousandConcurrentSaves_AllCompleteAndAllLoadBack()
    {
        var store = _db.Open(_key);
        var clusters = Enumerable.Range(0, 1000).Select(i => TestRecords.Cluster($"cluster-{i:D4}", startTime: 1_700_000_000_000 + i)).ToList();

        await Task.WhenAll(clusters.Select(c => Task.Run(() => store.SaveClusterAsync(c, Ct), Ct))).Timed();
        await Task.WhenAll(clusters.Select(c => store.AddEventAsync(TestRecords.Event(c.Name, 1), Ct))).Timed();
        await TestDatabase.CloseAsync(store);

        var contents = await _db.LoadAsync(_key);
        Assert.Equal(clusters, contents.Clusters);
        Assert.Equal(1000, contents.Events.Count);
    }

    [Fact]
    public async Task AWriteThatFails_FaultsItsOwnTaskOnly()
    {
        var store = _db.Open(_key);
        var first = store.SaveClusterAsync(TestRecords.Cluster("a"), Ct);
        var orphanWorker = store.SaveWorkerAsync(TestRecords.Worker("missing", "w"), Ct);
        var orphanEvent = store.AddEventAsync(TestRecords.Event("missing", 1), Ct);
        var last = store.SaveClusterAsync(TestRecords.Cluster("b"), Ct);

        await first.Timed();
        await last.Timed();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => orphanWorker.Timed());
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => orphanEvent.Timed());
        await TestDatabase.CloseAsync(store);
        Assert.Equal(["a", "b"], (await _db.LoadAsync(_key)).Clusters.Select(c => c.Name));
    }

    [Fact]
    public async Task AnErrorThatEndsTheTransaction_FaultsItsWrites_AndTheWriterCarriesOn()
    {
        var store = _db.Open(_key);
        await store.SaveClusterAsync(TestRecords.Cluster("small"), Ct).Timed();
        var pages = _db.Scalar("PRAGMA page_count");
        await store.ExecuteOnWriterAsync($"PRAGMA max_page_count = {pages}", Ct).Timed();

        // A full database: SQLite fails the statement and rolls back the whole transaction, so a write
        // queued with it (most likely in the same transaction) is reported stored only if it was.
        var companion = store.SaveClusterAsync(TestRecords.Cluster("companion"), Ct);
        var big = TestRecords.Cluster("big") with { StateJson = "\"" + new string('x', 1_000_000) + "\"" };
        var error = await Assert.ThrowsAsync<SqliteException>(() => store.SaveClusterAsync(big, Ct).Timed());
        Assert.Equal(13, error.SqliteErrorCode); // SQLITE_FULL
        var companionStored = await Record.ExceptionAsync(() => companion.Timed()) is null;

        await store.ExecuteOnWriterAsync("PRAGMA max_page_count = 1073741823", Ct).Timed();
        await store.SaveClusterAsync(TestRecords.Cluster("after"), Ct).Timed();
        await TestDatabase.CloseAsync(store);
        string[] expected = companionStored ? ["small", "companion", "after"] : ["small", "after"];
        Assert.Equal(expected, (await _db.LoadAsync(_key)).Clusters.Select(c => c.Name));
        var logged = Assert.Single(_db.Logger.Collector.GetSnapshot(), r => r.Id.Id == 1703);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Same(error, logged.Exception);
    }

    [Fact]
    public async Task DisposeAsync_CommitsWhatIsQueued_AndLaterCallsThrow()
    {
        var store = _db.Open(_key);
        var saves = Enumerable.Range(0, 200).Select(i => store.SaveClusterAsync(TestRecords.Cluster($"c{i}"), Ct)).ToList();

        await TestDatabase.CloseAsync(store);

        Assert.All(saves, save => Assert.True(save.IsCompletedSuccessfully));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.SaveClusterAsync(TestRecords.Cluster("late"), Ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.LoadAsync(Ct));
        Assert.Equal(200, (await _db.LoadAsync(_key)).Clusters.Count);
    }

    [Fact]
    public async Task AWriteCancelledBeforeItIsQueued_IsNotStored()
    {
        var store = _db.Open(_key);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SaveClusterAsync(TestRecords.Cluster("c"), cancelled.Token));

        Assert.Empty((await store.LoadAsync(Ct).Timed()).Clusters);
    }

    [Fact]
    public async Task TheDatabaseFile_IsReadableByItsOwnerOnly_AndItsCreationIsLogged()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
            return;
        }

        var store = _db.Open(_key);

        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();

        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(ownerOnly, File.GetUnixFileMode(_db.DatabasePath));
        Assert.Equal(ownerOnly, File.GetUnixFileMode(_db.DatabasePath + "-wal"));
        var created = Assert.Single(_db.Logger.Collector.GetSnapshot(), r => r.Id.Id == 1700);
        Assert.Equal(LogLevel.Information, created.Level);
        Assert.Contains(_db.DatabasePath, created.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExistingFileOpenToOthers_IsUsed_WithAWarning()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
            return;
        }

        await _db.LoadAsync(_key);
        File.SetUnixFileMode(_db.DatabasePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await _db.LoadAsync(_key);

        var warning = Assert.Single(_db.Logger.Collector.GetSnapshot(), r => r.Id.Id == 1705);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("644", warning.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFile_IsInWalModeWithForeignKeys()
    {
        var store = _db.Open(_key);
        await store.LoadAsync(Ct).Timed();

        Assert.Equal("wal", _db.Text("PRAGMA journal_mode"));
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM pragma_foreign_key_list('workers') WHERE \"table\" = 'clusters' AND on_delete = 'CASCADE'"));
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM pragma_foreign_key_list('cluster_events') WHERE \"table\" = 'clusters' AND on_delete = 'CASCADE'"));
    }
}
