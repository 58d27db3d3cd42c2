using System.Globalization;
using DaskGateway.Logging;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Storage;

/// <summary>
/// Opens the gateway's SQLite file. The file holds encrypted secrets but also user names and cluster
/// options, so it is made readable by its owner only; SQLite gives its <c>-wal</c> and <c>-shm</c> files
/// the database file's mode.
/// </summary>
internal static partial class SqliteDatabaseFile
{
    /// <summary>How long a statement waits for another connection's lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Opens <paramref name="path"/> (an absolute path), creating it and its directory when missing, in
    /// WAL mode with foreign keys enforced, <c>synchronous=NORMAL</c> and a busy timeout.
    /// </summary>
    public static SqliteConnection Open(string path, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        CreateOwnerOnly(path, logger);
        var connection = new SqliteConnection(ConnectionString(path));
        try
        {
            connection.Open();
            var journalMode = Convert.ToString(Execute(connection, "PRAGMA journal_mode = WAL", scalar: true), CultureInfo.InvariantCulture);
            if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                LogNoWal(logger, path, journalMode ?? "unknown");
            }

            Execute(connection, BusyTimeoutPragma + "; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", scalar: false);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>SQLite's own wait for a lock held by another connection.</summary>
    public static string BusyTimeoutPragma =>
        "PRAGMA busy_timeout = " + ((long)BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A connection string for <paramref name="path"/>: no pooling (closing the store releases the file), and
    /// Microsoft.Data.Sqlite's own retry of busy statements bounded by the busy timeout.
    /// </summary>
    public static string ConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
        ForeignKeys = true,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
    }.ToString();

    private static object? Execute(SqliteConnection connection, string sql, bool scalar)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return scalar ? command.ExecuteScalar() : command.ExecuteNonQuery();
    }

    /// <summary>Makes an empty file (an empty SQLite database) with mode 0600, or warns when an existing file is open to others.</summary>
    private static void CreateOwnerOnly(string path, ILogger logger)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerReadWrite };
            using var stream = new FileStream(path, options);
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerReadWrite);
        }
        catch (IOException) when (File.Exists(path))
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
            {
                LogAccessibleToOthers(logger, path, Convert.ToString((int)mode, 8));
            }
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.SqliteDatabaseFileAccessibleToOthers, Level = LogLevel.Warning, Message = "Database {Path} is accessible to other users (mode {Mode}); it holds user names and cluster options: restrict it to its owner with `chmod 600 {Path}`")]
    private static partial void LogAccessibleToOthers(ILogger logger, string path, string mode);

    [LoggerMessage(EventId = GatewayEventIds.SqliteDatabaseFileNoWal, Level = LogLevel.Warning, Message = "Database {Path} could not be switched to WAL journal mode (it is in {JournalMode} mode); writes will be slower")]
    private static partial void LogNoWal(ILogger logger, string path, string journalMode);
}
