using System.Globalization;
using DaskGateway.Storage;
using DaskGateway.Storage.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Testing;

namespace DaskGateway.Tests.Storage;

/// <summary>
/// A temporary directory for SQLite files, the stores opened on them (closed, and the directory
/// deleted, at the end of the test), and plain connections for looking at the raw file.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>The longest any test waits for a store.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly List<IClusterStore> _stores = [];

    public TestDatabase(string databaseFileName = "gateway.sqlite")
    {
        DatabasePath = Path.Combine(DirectoryPath, databaseFileName);
    }

    public string DirectoryPath { get; } = Directory.CreateTempSubdirectory("dask-gateway-storage-").FullName;

    public string DatabasePath { get; }

    public FakeLogger Logger { get; } = new();

    public static CancellationToken CancellationToken => TestContext.Current.CancellationToken;

    public static MultiFernet Encryption(params string[] keys) => EncryptionKeys.Parse(keys).CreateMultiFernet(TimeProvider.System);

    public SqliteClusterStore Open(params string[] keys) => Track(new SqliteClusterStore(DatabasePath, Encryption(keys), Logger));

    public SqliteClusterStore Open(string key, IReadOnlyList<SchemaMigration> migrations) =>
        Track(new SqliteClusterStore(DatabasePath, Encryption(key), Logger, EncryptionKeys.EnvironmentVariable, migrations));

    public T Track<T>(T store)
        where T : IClusterStore
    {
        _stores.Add(store);
        return store;
    }

    public static async Task CloseAsync(IClusterStore store) => await store.DisposeAsync().AsTask().WaitAsync(Timeout, CancellationToken);

    /// <summary>Opens a store with <paramref name="keys"/>, loads everything and closes it again.</summary>
    public async Task<StoreContents> LoadAsync(params string[] keys)
    {
        var store = Open(keys);
        var contents = await store.LoadAsync(CancellationToken).WaitAsync(Timeout, CancellationToken);
        await CloseAsync(store);
        return contents;
    }

    /// <summary>A plain connection to the database file, bypassing the store.</summary>
    public SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public long Scalar(string sql) => Convert.ToInt64(Run(sql, command => command.ExecuteScalar()), CultureInfo.InvariantCulture);

    public string? Text(string sql) => Run(sql, command => command.ExecuteScalar()) as string;

    public void Execute(string sql) => Run(sql, command => command.ExecuteNonQuery());

    /// <summary>Reads the raw contents of a column of every row (what is on disk, before any decryption).</summary>
    public List<byte[]> Blobs(string sql) => Run(sql, command =>
    {
        using var reader = command.ExecuteReader();
        var blobs = new List<byte[]>();
        while (reader.Read())
        {
            blobs.Add(reader.GetFieldValue<byte[]>(0));
        }

        return blobs;
    });

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await CloseAsync(store);
        }

        Directory.Delete(DirectoryPath, recursive: true);
    }

    private T Run<T>(string sql, Func<SqliteCommand, T> run)
    {
        using var connection = OpenRaw();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return run(command);
    }
}
