using System.Globalization;
using DaskGateway.Configuration;
using Microsoft.Data.Sqlite;

namespace DaskGateway.Storage;

/// <summary>
/// The SQLite schema, made and upgraded by the gateway itself. The version lives in the file header
/// (<c>PRAGMA user_version</c>); each step runs in its own transaction together with the version
/// change, so a step is applied completely and exactly once, even when two gateways open the same file.
/// Steps are only ever appended: a released step is never edited.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Every step, oldest first; version 1 is the initial schema (protocol.md §4.8, plus the event timeline).</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "initial schema", """
            CREATE TABLE clusters (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                username TEXT NOT NULL,
                status INTEGER NOT NULL,
                target INTEGER NOT NULL,
                count INTEGER NOT NULL,
                options TEXT NOT NULL,
                config_class TEXT NOT NULL,
                config TEXT NOT NULL,
                state TEXT NOT NULL,
                token BLOB NOT NULL,
                tls_credentials BLOB,
                scheduler_address TEXT NOT NULL,
                dashboard_address TEXT NOT NULL,
                api_address TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                stop_time INTEGER
            ) STRICT;
            CREATE INDEX clusters_username ON clusters (username);
            CREATE INDEX clusters_stop_time ON clusters (stop_time);

            CREATE TABLE workers (
                id INTEGER PRIMARY KEY,
                cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                status INTEGER NOT NULL,
                target INTEGER NOT NULL,
                state TEXT NOT NULL,
                start_time INTEGER NOT NULL,
                stop_time INTEGER,
                close_expected INTEGER NOT NULL,
                UNIQUE (cluster_id, name)
            ) STRICT;

            CREATE TABLE cluster_events (
                id INTEGER PRIMARY KEY,
                cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
                time INTEGER NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL
            ) STRICT;
            CREATE INDEX cluster_events_cluster ON cluster_events (cluster_id, time);
            """),
    ];

    /// <summary>The version this code makes and understands.</summary>
    public static int CurrentVersion => Migrations[^1].Version;

    /// <summary>Reads the schema version of an open database.</summary>
    public static int GetVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Brings the database at <paramref name="path"/> (open as <paramref name="connection"/>) up to the
    /// last of <paramref name="migrations"/>, applying each missing step in order.
    /// </summary>
    /// <returns>The version found and the version reached.</returns>
    /// <exception cref="ConfigurationException">
    /// The database is newer than the steps know, or has tables but no version (it was not made by this gateway).
    /// </exception>
    public static (int From, int To) Migrate(SqliteConnection connection, string path, IReadOnlyList<SchemaMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(migrations);
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new ArgumentException("Schema migrations are numbered 1, 2, 3, ... in order.", nameof(migrations));
            }
        }

        var latest = migrations.Count;
        var from = GetVersion(connection);
        CheckNotNewer(path, from, latest);
        foreach (var migration in migrations.Skip(from))
        {
            // BEGIN IMMEDIATE takes the write lock first, so the version read next cannot change before the commit.
            using var transaction = connection.BeginTransaction(deferred: false);
            var current = GetVersion(connection, transaction);
            CheckNotNewer(path, current, latest);
            if (current >= migration.Version)
            {
                // Another process applied this step after we first looked.
                continue;
            }

            if (current == 0 && HasTables(connection, transaction))
            {
                throw new ConfigurationException(
                    $"Database {path} has tables but no schema version: it was not made by this gateway "
                    + "(a database of the Python dask-gateway-server cannot be reused); point db_url at a new file");
            }

            using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = migration.Sql + ";\nPRAGMA user_version = " + migration.Version.ToString(CultureInfo.InvariantCulture);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return (from, Math.Max(from, latest));
    }

    private static void CheckNotNewer(string path, int version, int latest)
    {
        if (version > latest)
        {
            throw new ConfigurationException(
                $"Database {path} has schema version {version}, newer than this gateway supports ({latest}); upgrade the gateway");
        }
    }

    private static bool HasTables(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
    }
}
