using DaskGateway.Clusters;
using Microsoft.Data.Sqlite;

namespace DaskGateway.Storage;

/// <summary>
/// The store's writes as commands prepared once on the writer's connection and run with new parameter
/// values each time. Workers and events name their cluster; the cluster's row id is looked up in the
/// same statement.
/// </summary>
internal sealed class SqliteWriteStatements : IDisposable
{
    private const string UpsertClusterSql = """
        INSERT INTO clusters (name, username, status, target, count, options, config_class, config, state,
                              token, tls_credentials, scheduler_address, dashboard_address, api_address,
                              start_time, stop_time)
        VALUES ($name, $username, $status, $target, $count, $options, $config_class, $config, $state,
                $token, $tls_credentials, $scheduler_address, $dashboard_address, $api_address,
                $start_time, $stop_time)
        ON CONFLICT (name) DO UPDATE SET
            username = excluded.username, status = excluded.status, target = excluded.target,
            count = excluded.count, options = excluded.options, config_class = excluded.config_class,
            config = excluded.config, state = excluded.state, token = excluded.token,
            tls_credentials = excluded.tls_credentials, scheduler_address = excluded.scheduler_address,
            dashboard_address = excluded.dashboard_address, api_address = excluded.api_address,
            start_time = excluded.start_time, stop_time = excluded.stop_time
        """;

    // INSERT ... SELECT inserts nothing when the cluster is unknown (no constraint error to untangle);
    // the WHERE clause also resolves SQLite's parsing ambiguity between SELECT and ON CONFLICT.
    private const string UpsertWorkerSql = """
        INSERT INTO workers (cluster_id, name, status, target, state, start_time, stop_time, close_expected)
        SELECT id, $name, $status, $target, $state, $start_time, $stop_time, $close_expected
        FROM clusters WHERE name = $cluster
        ON CONFLICT (cluster_id, name) DO UPDATE SET
            status = excluded.status, target = excluded.target, state = excluded.state,
            start_time = excluded.start_time, stop_time = excluded.stop_time,
            close_expected = excluded.close_expected
        """;

    private const string InsertEventSql = """
        INSERT INTO cluster_events (cluster_id, time, kind, message)
        SELECT id, $time, $kind, $message FROM clusters WHERE name = $cluster
        """;

    // After each insert: of the cluster's events in timeline order, those past the first KeptFirst and
    // older than the latest KeptLatest go (a database written before the bound was kept is trimmed too).
    // Both scans walk the (cluster_id, time) index over at most a few more rows than are kept.
    private const string TrimEventsSql = """
        DELETE FROM cluster_events
        WHERE id IN (SELECT e.id FROM cluster_events e WHERE e.cluster_id = (SELECT id FROM clusters WHERE name = $cluster)
                     ORDER BY e.time, e.id LIMIT -1 OFFSET $kept_first)
          AND id NOT IN (SELECT e.id FROM cluster_events e WHERE e.cluster_id = (SELECT id FROM clusters WHERE name = $cluster)
                         ORDER BY e.time DESC, e.id DESC LIMIT $kept_latest)
        """;

    private const string DeleteStoppedSql = "DELETE FROM clusters WHERE stop_time IS NOT NULL AND stop_time < $cutoff";

    private readonly SqliteCommand _upsertCluster;
    private readonly SqliteCommand _upsertWorker;
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _trimEvents;
    private readonly SqliteCommand _deleteStopped;
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;

    public SqliteWriteStatements(SqliteConnection connection)
    {
        _connection = connection;
        _upsertCluster = Prepare(connection, UpsertClusterSql);
        _upsertWorker = Prepare(connection, UpsertWorkerSql);
        _insertEvent = Prepare(connection, InsertEventSql);
        _trimEvents = Prepare(connection, TrimEventsSql);
        _trimEvents.Parameters["$kept_first"].Value = ClusterEventLimits.KeptFirst;
        _trimEvents.Parameters["$kept_latest"].Value = ClusterEventLimits.KeptLatest;
        _deleteStopped = Prepare(connection, DeleteStoppedSql);
    }

    /// <summary>Makes the commands run in <paramref name="transaction"/> (Microsoft.Data.Sqlite requires it).</summary>
    public void Enlist(SqliteTransaction? transaction)
    {
        _transaction = transaction;
        _upsertCluster.Transaction = transaction;
        _upsertWorker.Transaction = transaction;
        _insertEvent.Transaction = transaction;
        _trimEvents.Transaction = transaction;
        _deleteStopped.Transaction = transaction;
    }

    public void UpsertCluster(ClusterRecord cluster, byte[] token, byte[]? tlsCredentials)
    {
        var p = _upsertCluster.Parameters;
        p["$name"].Value = cluster.Name;
        p["$username"].Value = cluster.Username;
        p["$status"].Value = cluster.Status;
        p["$target"].Value = cluster.Target;
        p["$count"].Value = cluster.Count;
        p["$options"].Value = cluster.OptionsJson;
        p["$config_class"].Value = cluster.ConfigClass;
        p["$config"].Value = cluster.ConfigJson;
        p["$state"].Value = cluster.StateJson;
        p["$token"].Value = token;
        p["$tls_credentials"].Value = (object?)tlsCredentials ?? DBNull.Value;
        p["$scheduler_address"].Value = cluster.SchedulerAddress;
        p["$dashboard_address"].Value = cluster.DashboardAddress;
        p["$api_address"].Value = cluster.ApiAddress;
        p["$start_time"].Value = cluster.StartTime;
        p["$stop_time"].Value = (object?)cluster.StopTime ?? DBNull.Value;
        _upsertCluster.ExecuteNonQuery();
    }

    /// <exception cref="InvalidOperationException">The worker's cluster is not in the store.</exception>
    public void UpsertWorker(WorkerRecord worker)
    {
        var p = _upsertWorker.Parameters;
        p["$cluster"].Value = worker.ClusterName;
        p["$name"].Value = worker.Name;
        p["$status"].Value = worker.Status;
        p["$target"].Value = worker.Target;
        p["$state"].Value = worker.StateJson;
        p["$start_time"].Value = worker.StartTime;
        p["$stop_time"].Value = (object?)worker.StopTime ?? DBNull.Value;
        p["$close_expected"].Value = worker.CloseExpected ? 1 : 0;
        EnsureClusterFound(_upsertWorker.ExecuteNonQuery(), worker.ClusterName, "worker " + worker.Name);
    }

    /// <summary>Appends an event (its message cut to the timeline's bound) and trims the cluster's timeline to its first and latest events.</summary>
    /// <exception cref="InvalidOperationException">The event's cluster is not in the store.</exception>
    public void InsertEvent(ClusterEventRecord clusterEvent)
    {
        var p = _insertEvent.Parameters;
        p["$cluster"].Value = clusterEvent.ClusterName;
        p["$time"].Value = clusterEvent.Time;
        p["$kind"].Value = clusterEvent.Kind;
        p["$message"].Value = ClusterEventLimits.Truncate(clusterEvent.Message);
        EnsureClusterFound(_insertEvent.ExecuteNonQuery(), clusterEvent.ClusterName, "an event");
        _trimEvents.Parameters["$cluster"].Value = clusterEvent.ClusterName;
        _trimEvents.ExecuteNonQuery();
    }

    /// <summary>Deletes clusters stopped before <paramref name="cutoff"/>; their workers and events go with them.</summary>
    /// <returns>How many clusters were deleted.</returns>
    public int DeleteStoppedBefore(long cutoff)
    {
        _deleteStopped.Parameters["$cutoff"].Value = cutoff;
        return _deleteStopped.ExecuteNonQuery();
    }

    /// <summary>Runs any SQL in the current transaction (tests use it to provoke failures).</summary>
    public int ExecuteRaw(string sql)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _upsertCluster.Dispose();
        _upsertWorker.Dispose();
        _insertEvent.Dispose();
        _trimEvents.Dispose();
        _deleteStopped.Dispose();
    }

    private static void EnsureClusterFound(int rows, string clusterName, string what)
    {
        if (rows == 0)
        {
            throw new InvalidOperationException($"Cannot store {what} of cluster {clusterName}: the cluster is not in the store");
        }
    }

    /// <summary>Makes a command with one parameter per <c>$name</c> in <paramref name="sql"/>, and prepares it.</summary>
    private static SqliteCommand Prepare(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in ParameterNames(sql))
        {
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        }

        command.Prepare();
        return command;
    }

    private static IEnumerable<string> ParameterNames(string sql)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = sql.IndexOf('$', StringComparison.Ordinal); i >= 0; i = sql.IndexOf('$', i + 1))
        {
            var end = i + 1;
            while (end < sql.Length && (char.IsAsciiLetterOrDigit(sql[end]) || sql[end] == '_'))
            {
                end++;
            }

            if (names.Add(sql[i..end]))
            {
                yield return sql[i..end];
            }
        }
    }
}
