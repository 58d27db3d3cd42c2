using DaskGateway.Configuration;
using DaskGateway.Storage;
using DaskGateway.Storage.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Storage;

public sealed class SqliteSchemaTests : IAsyncDisposable
{
    private static readonly CancellationToken Ct = TestDatabase.CancellationToken;
    private readonly TestDatabase _db = new();
    private readonly string _key = EncryptionKeys.GenerateKey();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    /// <summary>Steps that each record that they ran, in a table the first one makes.</summary>
    private static SchemaMigration[] RecordingSteps(int count) =>
    [
        .. Enumerable.Range(1, count).Select(version => new SchemaMigration(
            version,
            $"step {version}",
            (version == 1 ? "CREATE TABLE applied (version INTEGER NOT NULL, at INTEGER NOT NULL);\n" : "")
            + $"INSERT INTO applied VALUES ({version}, (SELECT count(*) FROM applied))")),
    ];

    [Fact]
    public async Task AFreshFile_GetsTheCurrentVersionAndTables()
    {
        await _db.LoadAsync(_key);

        Assert.Equal(SqliteSchema.CurrentVersion, _db.Scalar("PRAGMA user_version"));
        Assert.Equal(3, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('clusters', 'workers', 'cluster_events')"));
        Assert.Equal(3, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('clusters_username', 'clusters_stop_time', 'cluster_events_cluster')"));
    }

    [Fact]
    public async Task ADatabaseNewerThanTheCode_IsAClearError_ForLoadsAndWrites()
    {
        await _db.LoadAsync(_key);
        var newer = SqliteSchema.CurrentVersion + 1;
        _db.Execute($"PRAGMA user_version = {newer}");

        var store = _db.Open(_key);
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => store.LoadAsync(Ct).Timed());
        var writeError = await Assert.ThrowsAsync<ConfigurationException>(() => store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed());

        Assert.Equal(
            $"Database {_db.DatabasePath} has schema version {newer}, newer than this gateway supports ({SqliteSchema.CurrentVersion}); upgrade the gateway",
            error.Message);
        Assert.Same(error, writeError);
        Assert.Equal(newer, _db.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public void TheRunner_AppliesEachStepInOrder_ExactlyOnce()
    {
        using var connection = _db.OpenRaw();

        Assert.Equal((0, 3), SqliteSchema.Migrate(connection, _db.DatabasePath, RecordingSteps(3)));
        Assert.Equal((3, 3), SqliteSchema.Migrate(connection, _db.DatabasePath, RecordingSteps(3)));
        Assert.Equal((3, 5), SqliteSchema.Migrate(connection, _db.DatabasePath, RecordingSteps(5)));

        Assert.Equal(5, _db.Scalar("PRAGMA user_version"));
        Assert.Equal(5, _db.Scalar("SELECT count(*) FROM applied"));
        Assert.Equal(5, _db.Scalar("SELECT count(*) FROM applied WHERE at = version - 1"));
    }

    [Fact]
    public void AStepThatFails_IsUndoneCompletely_AndTheVersionStays()
    {
        using var connection = _db.OpenRaw();
        SchemaMigration[] steps =
        [
            .. RecordingSteps(1),
            new(2, "broken", "CREATE TABLE half_made (a INTEGER); INSERT INTO applied VALUES (2, 0); INSERT INTO no_such_table VALUES (1)"),
        ];

        Assert.Throws<SqliteException>(() => SqliteSchema.Migrate(connection, _db.DatabasePath, steps));

        Assert.Equal(1, _db.Scalar("PRAGMA user_version"));
        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM applied"));
        Assert.Equal(0, _db.Scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half_made'"));
    }

    [Fact]
    public void StepsMustBeNumberedFromOneWithoutGaps()
    {
        using var connection = _db.OpenRaw();

        Assert.Throws<ArgumentException>(() => SqliteSchema.Migrate(connection, _db.DatabasePath, [.. RecordingSteps(1), new(3, "gap", "SELECT 1")]));
        Assert.Equal(0, _db.Scalar("PRAGMA user_version"));
    }

    [Fact]
    public async Task AStoreUpgradesAnOlderFile_KeepingItsRecords_AndLogsIt()
    {
        var store = _db.Open(_key);
        var cluster = TestRecords.Cluster("c");
        await store.SaveClusterAsync(cluster, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        SchemaMigration[] next = [.. SqliteSchema.Migrations, new(SqliteSchema.CurrentVersion + 1, "a new column", "ALTER TABLE clusters ADD COLUMN note TEXT")];
        var upgraded = _db.Open(_key, next);
        var contents = await upgraded.LoadAsync(Ct).Timed();

        Assert.Equal([cluster], contents.Clusters);
        Assert.Equal(next.Length, _db.Scalar("PRAGMA user_version"));
        var log = Assert.Single(_db.Logger.Collector.GetSnapshot(), r => r.Id.Id == 1701);
        Assert.Equal(LogLevel.Information, log.Level);
        Assert.Equal($"Upgraded database {_db.DatabasePath} from schema version {SqliteSchema.CurrentVersion} to {next.Length}", log.Message);
    }

    [Fact]
    public async Task AFileWithTablesButNoVersion_IsRefused()
    {
        // What the Python gateway leaves behind: its own tables, user_version 0.
        _db.Execute("CREATE TABLE clusters (id INTEGER PRIMARY KEY, name VARCHAR(255))");

        var store = _db.Open(_key);
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => store.LoadAsync(Ct).Timed());

        Assert.Contains(_db.DatabasePath, error.Message, StringComparison.Ordinal);
        Assert.Contains("not made by this gateway", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _db.Scalar("PRAGMA user_version"));
    }
}
