using System.Threading.Channels;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using DaskGateway.Storage.Encryption;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Storage;

/// <summary>
/// Cluster records in a SQLite file (WAL, owner-only), the embedded default store (design.md §4).
/// </summary>
/// <remarks>
/// Every write goes through one writer: a queue drained by a single background task, which runs
/// whatever has queued up since its last transaction as one transaction (group commit), with
/// statements prepared once. Each call's task completes when its write is committed, and faults with
/// the write's own error if it failed; one failed write does not undo the others of its transaction.
/// Secrets are encrypted by the caller's thread before they are queued, so the writer only writes.
/// The schema is made or upgraded on first use (<see cref="SqliteSchema"/>).
/// </remarks>
internal sealed partial class SqliteClusterStore : IClusterStore
{
    /// <summary>The most writes committed in one transaction, bounding a commit's latency.</summary>
    private const int MaxBatchSize = 1024;

    private readonly string _path;
    private readonly MultiFernet _encryption;
    private readonly ILogger _logger;
    private readonly string _keySource;
    private readonly IReadOnlyList<SchemaMigration> _migrations;
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _startLock = new();
    private Task? _writer;
    private int _disposed;

    /// <param name="path">The database file; made (with its directory) if missing.</param>
    /// <param name="encryption">Encrypts the token and TLS columns with its first key, decrypts with any.</param>
    /// <param name="logger">Where schema changes and write failures are logged.</param>
    /// <param name="keySource">Where the keys were configured, named in the error for records no key decrypts.</param>
    public SqliteClusterStore(string path, MultiFernet encryption, ILogger logger, string keySource = EncryptionKeys.EnvironmentVariable)
        : this(path, encryption, logger, keySource, SqliteSchema.Migrations)
    {
    }

    /// <summary>A store whose schema history is <paramref name="migrations"/> (tests of the migration runner).</summary>
    internal SqliteClusterStore(string path, MultiFernet encryption, ILogger logger, string keySource, IReadOnlyList<SchemaMigration> migrations)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encryption);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(keySource);
        ArgumentNullException.ThrowIfNull(migrations);
        _path = Path.GetFullPath(path);
        _encryption = encryption;
        _logger = logger;
        _keySource = keySource;
        _migrations = migrations;
    }

    public bool IsDurable => true;

    /// <summary>The database file, as an absolute path.</summary>
    public string DatabasePath => _path;

    /// <exception cref="ConfigurationException">
    /// The database is newer than this gateway, was not made by it, or holds records that none of the keys decrypts.
    /// </exception>
    public async Task<StoreContents> LoadAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EnsureWriterStarted();
        await _ready.Task.WaitAsync(cancellationToken);

        // The writer keeps its own connection; reading on a second one needs no coordination with it
        // (WAL readers see the last commit), and one read transaction gives a consistent snapshot.
        await using var connection = new SqliteConnection(SqliteDatabaseFile.ConnectionString(_path));
        await connection.OpenAsync(cancellationToken);
        using var transaction = connection.BeginTransaction(deferred: true);
        var clusters = await ReadAsync(connection, transaction, SelectClustersSql, ReadCluster, cancellationToken);
        var workers = await ReadAsync(connection, transaction, SelectWorkersSql, ReadWorker, cancellationToken);
        var events = await ReadAsync(connection, transaction, SelectEventsSql, ReadEvent, cancellationToken);
        LogLoaded(_logger, clusters.Count, workers.Count, events.Count, _path);
        return new StoreContents(clusters, workers, events);
    }

    public Task SaveClusterAsync(ClusterRecord cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var token = EncryptedColumns.EncryptToken(_encryption, cluster.Token);
        var tlsCredentials = EncryptedColumns.EncryptTlsCredentials(_encryption, cluster.TlsCertificate, cluster.TlsKey);
        return Enqueue(statements => statements.UpsertCluster(cluster, token, tlsCredentials), cancellationToken);
    }

    public Task SaveWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return Enqueue(statements => statements.UpsertWorker(worker), cancellationToken);
    }

    public Task AddEventAsync(ClusterEventRecord clusterEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        return Enqueue(statements => statements.InsertEvent(clusterEvent), cancellationToken);
    }

    public Task<int> DeleteClustersStoppedBeforeAsync(long cutoff, CancellationToken cancellationToken) =>
        Enqueue(statements => statements.DeleteStoppedBefore(cutoff), cancellationToken);

    /// <summary>Commits what is queued, stops the writer and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        Task? writer;
        lock (_startLock)
        {
            writer = _writer;
        }

        if (writer is not null)
        {
            await writer;
        }
    }

    /// <summary>Runs raw SQL on the writer's connection, inside its transaction (tests use it to provoke failures).</summary>
    internal Task<int> ExecuteOnWriterAsync(string sql, CancellationToken cancellationToken) =>
        Enqueue(statements => statements.ExecuteRaw(sql), cancellationToken);

    /// <summary>
    /// Queues a write for the writer. A write whose <paramref name="cancellationToken"/> is cancelled
    /// before the writer reaches it is skipped; once started, it is committed or fails like any other.
    /// </summary>
    private Task<int> Enqueue(Func<SqliteWriteStatements, int> write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingWrite(write, cancellationToken);
        EnsureWriterStarted();
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);
        return pending.Task;
    }

    /// <inheritdoc cref="Enqueue(Func{SqliteWriteStatements, int}, CancellationToken)"/>
    private Task<int> Enqueue(Action<SqliteWriteStatements> write, CancellationToken cancellationToken) =>
        Enqueue(statements =>
        {
            write(statements);
            return 0;
        }, cancellationToken);

    private void EnsureWriterStarted()
    {
        if (Volatile.Read(ref _writer) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _writer ??= Task.Run(RunWriterAsync, CancellationToken.None);
        }
    }

    private async Task RunWriterAsync()
    {
        SqliteConnection? connection = null;
        SqliteWriteStatements? statements = null;
        try
        {
            try
            {
                connection = SqliteDatabaseFile.Open(_path, _logger);
                var (from, to) = SqliteSchema.Migrate(connection, _path, _migrations);
                if (from == 0)
                {
                    LogCreated(_logger, _path, to);
                }
                else if (from < to)
                {
                    LogUpgraded(_logger, _path, from, to);
                }

                statements = new SqliteWriteStatements(connection);
                _ready.TrySetResult();
            }
            catch (Exception e)
            {
                // The store cannot be used: LoadAsync reports why, and every write fails with the same error.
                _ready.TrySetException(e);
                await foreach (var pending in _queue.Reader.ReadAllAsync())
                {
                    pending.Fail(e);
                }

                return;
            }

            var batch = new List<PendingWrite>(MaxBatchSize);
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (batch.Count < MaxBatchSize && _queue.Reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                }

                WriteBatch(connection, statements, batch);
                batch.Clear();
            }
        }
        finally
        {
            statements?.Dispose();
            connection?.Dispose();
        }
    }

    /// <summary>Runs <paramref name="batch"/> in one transaction and completes each write's task after the commit.</summary>
    private void WriteBatch(SqliteConnection connection, SqliteWriteStatements statements, List<PendingWrite> batch)
    {
        try
        {
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                statements.Enlist(transaction);
                foreach (var pending in batch)
                {
                    try
                    {
                        pending.Execute(statements);
                    }
                    catch (Exception e) when (e is SqliteException or InvalidOperationException && !TransactionLost(connection))
                    {
                        // SQLite undid this statement only; the rest of the transaction stands.
                        pending.SetError(e);
                    }
                }

                transaction.Commit();
            }

            foreach (var pending in batch)
            {
                pending.Complete();
            }
        }
        catch (Exception e)
        {
            // The transaction could not begin or commit, or an error made SQLite roll it back: nothing of it
            // was written. Whatever the error, the writer lives on for the writes queued after these.
            LogWriteFailed(_logger, e, _path, batch.Count);
            foreach (var pending in batch)
            {
                pending.Fail(e);
            }
        }
        finally
        {
            statements.Enlist(null);
        }
    }

    /// <summary>Whether SQLite rolled back the whole transaction after an error (as it may for a full disk or I/O error).</summary>
    private static bool TransactionLost(SqliteConnection connection) => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0;

    private static async Task<List<T>> ReadAsync<T>(
        SqliteConnection connection, SqliteTransaction transaction, string sql, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private const string SelectClustersSql = """
        SELECT name, username, status, target, count, options, config_class, config, state,
               token, tls_credentials, scheduler_address, dashboard_address, api_address, start_time, stop_time
        FROM clusters ORDER BY start_time, id
        """;

    private const string SelectWorkersSql = """
        SELECT c.name, w.name, w.status, w.target, w.state, w.start_time, w.stop_time, w.close_expected
        FROM workers w JOIN clusters c ON c.id = w.cluster_id ORDER BY c.start_time, c.id, w.id
        """;

    private const string SelectEventsSql = """
        SELECT c.name, e.time, e.kind, e.message
        FROM cluster_events e JOIN clusters c ON c.id = e.cluster_id ORDER BY c.start_time, c.id, e.time, e.id
        """;

    private ClusterRecord ReadCluster(SqliteDataReader row)
    {
        var name = row.GetString(0);
        var token = Decrypt(row.GetFieldValue<byte[]>(9));
        string? certificate = null;
        string? key = null;
        if (!row.IsDBNull(10))
        {
            if (!EncryptedColumns.TrySplitTlsCredentials(Decrypt(row.GetFieldValue<byte[]>(10)), out var c, out var k))
            {
                throw new InvalidDataException($"The TLS credentials of cluster {name} in {_path} are malformed");
            }

            (certificate, key) = (c, k);
        }

        return new ClusterRecord(
            Name: name,
            Username: row.GetString(1),
            Status: row.GetInt32(2),
            Target: row.GetInt32(3),
            Count: row.GetInt32(4),
            OptionsJson: row.GetString(5),
            ConfigClass: row.GetString(6),
            ConfigJson: row.GetString(7),
            StateJson: row.GetString(8),
            Token: token,
            TlsCertificate: certificate,
            TlsKey: key,
            SchedulerAddress: row.GetString(11),
            DashboardAddress: row.GetString(12),
            ApiAddress: row.GetString(13),
            StartTime: row.GetInt64(14),
            StopTime: row.IsDBNull(15) ? null : row.GetInt64(15));
    }

    private static WorkerRecord ReadWorker(SqliteDataReader row) => new(
        Name: row.GetString(1),
        ClusterName: row.GetString(0),
        Status: row.GetInt32(2),
        Target: row.GetInt32(3),
        StateJson: row.GetString(4),
        StartTime: row.GetInt64(5),
        StopTime: row.IsDBNull(6) ? null : row.GetInt64(6),
        CloseExpected: row.GetInt64(7) != 0);

    private static ClusterEventRecord ReadEvent(SqliteDataReader row) =>
        new(row.GetString(0), row.GetInt64(1), row.GetString(2), row.GetString(3));

    /// <exception cref="ConfigurationException">None of the keys made <paramref name="column"/>; the message names no key and no secret.</exception>
    private string Decrypt(byte[] column)
    {
        if (EncryptedColumns.TryDecrypt(_encryption, column, out var text))
        {
            return text;
        }

        var keys = _encryption.Count == 1 ? "the configured key does not match" : $"none of the {_encryption.Count} configured keys matches";
        throw new ConfigurationException(
            $"cannot decrypt cluster records in {_path}: {keys}; the key that encrypted them is missing from {_keySource}");
    }

    [LoggerMessage(EventId = GatewayEventIds.SqliteClusterStoreCreated, Level = LogLevel.Information, Message = "Created database {Path} (schema version {Version})")]
    private static partial void LogCreated(ILogger logger, string path, int version);

    [LoggerMessage(EventId = GatewayEventIds.SqliteClusterStoreUpgraded, Level = LogLevel.Information, Message = "Upgraded database {Path} from schema version {From} to {To}")]
    private static partial void LogUpgraded(ILogger logger, string path, int from, int to);

    [LoggerMessage(EventId = GatewayEventIds.SqliteClusterStoreLoaded, Level = LogLevel.Debug, Message = "Loaded {Clusters} cluster(s), {Workers} worker(s) and {Events} event(s) from {Path}")]
    private static partial void LogLoaded(ILogger logger, int clusters, int workers, int events, string path);

    [LoggerMessage(EventId = GatewayEventIds.SqliteClusterStoreWriteFailed, Level = LogLevel.Error, Message = "Writing to database {Path} failed; {Count} write(s) were not stored")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string path, int count);

    /// <summary>A queued write and the task its caller awaits.</summary>
    private sealed class PendingWrite(Func<SqliteWriteStatements, int> write, CancellationToken cancellationToken)
    {
        private readonly TaskCompletionSource<int> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _result;
        private Exception? _error;
        private bool _skipped;

        public Task<int> Task => _completion.Task;

        public void Execute(SqliteWriteStatements statements)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _skipped = true;
                return;
            }

            _result = write(statements);
        }

        public void SetError(Exception error) => _error = error;

        /// <summary>Reports the outcome, once the transaction that ran the write is committed.</summary>
        public void Complete()
        {
            if (_skipped)
            {
                _completion.TrySetCanceled(cancellationToken);
            }
            else if (_error is not null)
            {
                _completion.TrySetException(_error);
            }
            else
            {
                _completion.TrySetResult(_result);
            }
        }

        public void Fail(Exception error) => _completion.TrySetException(error);
    }
}
