using DaskGateway.Configuration;
using DaskGateway.Storage;
using DaskGateway.Storage.Encryption;

namespace DaskGateway.Tests.Storage;

public sealed class ClusterStoreFactoryTests : IAsyncDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly CancellationToken Ct = TestDatabase.CancellationToken;
    private static readonly EncryptionKeys NoKeys = EncryptionKeys.Parse([]);
    private readonly TestDatabase _db = new("dask-gateway.sqlite");

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private string EmbeddedDatabase => _db.DatabasePath;

    private string EmbeddedKeyFile => Path.Combine(_db.DirectoryPath, "dask-gateway.keys");

    private IClusterStore Create(string dbUrl, EncryptionKeys keys, out string description) =>
        _db.Track(ClusterStoreFactory.Create(dbUrl, keys, _db.DirectoryPath, _db.Logger, out description));

    [Fact]
    public async Task EmbeddedDefault_MakesTheDatabaseAndAKeyFile_OwnerOnly_AndReusesTheKeyFileNextTime()
    {
        var store = Create("", NoKeys, out var description);
        var cluster = TestRecords.Cluster("c", withTls: true);
        await store.LoadAsync(Ct).Timed();
        await store.SaveClusterAsync(cluster, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        Assert.True(store.IsDurable);
        Assert.Equal(EmbeddedDatabase, Assert.IsType<SqliteClusterStore>(store).DatabasePath);
        Assert.Contains(EmbeddedDatabase, description, StringComparison.Ordinal);
        Assert.Contains("key file " + EmbeddedKeyFile + ", made now", description, StringComparison.Ordinal);
        var key = File.ReadAllText(EmbeddedKeyFile).Trim();
        Assert.DoesNotContain(key, description, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(EmbeddedDatabase));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(EmbeddedKeyFile));
        }

        var reopened = Create("", NoKeys, out var secondDescription);
        var contents = await reopened.LoadAsync(Ct).Timed();

        Assert.Equal([cluster], contents.Clusters);
        Assert.DoesNotContain("made now", secondDescription, StringComparison.Ordinal);
        Assert.Equal(key, File.ReadAllText(EmbeddedKeyFile).Trim());
    }

    [Fact]
    public async Task EmbeddedDefault_WithConfiguredKeys_UsesThem_AndMakesNoKeyFile()
    {
        var key = EncryptionKeys.GenerateKey();
        var store = Create("", EncryptionKeys.Parse([key]), out var description);
        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();
        await TestDatabase.CloseAsync(store);

        Assert.False(File.Exists(EmbeddedKeyFile));
        Assert.Contains("1 encryption key from db_encrypt_keys/DASK_GATEWAY_ENCRYPT_KEYS", description, StringComparison.Ordinal);
        Assert.True(TestDatabase.Encryption(key).TryDecrypt(Assert.Single(_db.Blobs("SELECT token FROM clusters")), out _));
    }

    [Theory]
    [InlineData("sqlite:///state/gateway.sqlite")]
    [InlineData("sqlite:////ABSOLUTE/gateway.sqlite")]
    public void AConfiguredSqliteFile_WithoutKeys_IsUpstreamsError(string dbUrl)
    {
        dbUrl = dbUrl.Replace("/ABSOLUTE", _db.DirectoryPath, StringComparison.Ordinal);

        var error = Assert.Throws<ConfigurationException>(() => Create(dbUrl, NoKeys, out _));

        Assert.Equal("Must configure `db_encrypt_keys`/`DASK_GATEWAY_ENCRYPT_KEYS` when not using an in-memory database", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_db.DirectoryPath));
    }

    [Theory]
    [InlineData("sqlite:///gateway.sqlite", "gateway.sqlite")]
    [InlineData("sqlite:///state/../state/gateway.sqlite", "state/gateway.sqlite")]
    [InlineData("sqlite:////ABSOLUTE/elsewhere/gateway.sqlite", "elsewhere/gateway.sqlite")]
    public async Task SqliteUrls_ArePathsAsSqlAlchemyReadsThem(string dbUrl, string expectedUnderWorkingDirectory)
    {
        dbUrl = dbUrl.Replace("/ABSOLUTE", _db.DirectoryPath, StringComparison.Ordinal);
        var expected = Path.Combine(_db.DirectoryPath, expectedUnderWorkingDirectory);

        var store = Create(dbUrl, EncryptionKeys.Parse([EncryptionKeys.GenerateKey()]), out var description);
        await store.LoadAsync(Ct).Timed();

        Assert.Equal(expected, Assert.IsType<SqliteClusterStore>(store).DatabasePath);
        Assert.True(File.Exists(expected));
        Assert.Equal($"SQLite database {expected} (1 encryption key from db_encrypt_keys/DASK_GATEWAY_ENCRYPT_KEYS)", description);
        Assert.False(File.Exists(EmbeddedKeyFile));
    }

    [Theory]
    [InlineData("sqlite://")]
    [InlineData("sqlite:///:memory:")]
    public async Task MemoryUrls_GiveAStoreThatKeepsNothing_AndNeedNoKeys(string dbUrl)
    {
        var store = Create(dbUrl, NoKeys, out var description);
        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();

        Assert.IsType<InMemoryClusterStore>(store);
        Assert.False(store.IsDurable);
        Assert.Empty((await store.LoadAsync(Ct).Timed()).Clusters);
        Assert.Contains("in-memory", description, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_db.DirectoryPath));
    }

    [Theory]
    [InlineData("postgresql://gateway:hunter2@db.example.org/gateway", "`postgresql`")]
    [InlineData("postgresql+psycopg2://gateway:hunter2@db.example.org/gateway", "`postgresql+psycopg2`")]
    [InlineData("mysql://gateway:hunter2@db.example.org/gateway", "`mysql`")]
    [InlineData("hunter2.sqlite", "not a database URL")]
    public void OtherUrls_AreNotSupported_AndTheErrorKeepsTheirPasswordsOut(string dbUrl, string named)
    {
        var key = EncryptionKeys.Parse([EncryptionKeys.GenerateKey()]);

        var error = Assert.Throws<ConfigurationException>(() => Create(dbUrl, key, out _));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("sqlite:////absolute/path.sqlite", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        if (dbUrl.Contains("://", StringComparison.Ordinal))
        {
            Assert.Contains("not supported yet", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ASqliteUrlWithoutAPath_IsAnError()
    {
        var error = Assert.Throws<ConfigurationException>(() => Create("sqlite:///", EncryptionKeys.Parse([EncryptionKeys.GenerateKey()]), out _));

        Assert.Contains("names no file", error.Message, StringComparison.Ordinal);
    }
}
