using DaskGateway.Configuration;
using DaskGateway.Storage.Encryption;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Storage;

/// <summary>
/// Chooses the store for a <c>db_url</c> (protocol.md §4.8, design.md §4): empty for the embedded
/// default, a SQLite file in the working directory whose keys, when none are configured, live in a key
/// file beside it; <c>sqlite://</c> or <c>sqlite:///:memory:</c> for nothing durable; any other SQLite
/// URL (SQLAlchemy's form) for a file that needs configured keys.
/// </summary>
internal static class ClusterStoreFactory
{
    /// <summary>The embedded default's database file, in the working directory.</summary>
    public const string EmbeddedDatabaseFileName = "dask-gateway.sqlite";

    /// <summary>The embedded default's key file, beside its database.</summary>
    public const string KeyFileName = "dask-gateway.keys";

    /// <summary>Upstream's error for a durable database without keys.</summary>
    public const string MissingKeysMessage =
        "Must configure `db_encrypt_keys`/`DASK_GATEWAY_ENCRYPT_KEYS` when not using an in-memory database";

    private const string SqlitePrefix = "sqlite://";

    private const string SupportedUrls =
        "supported are sqlite:///relative/path.sqlite, sqlite:////absolute/path.sqlite, sqlite:///:memory: "
        + "and an empty db_url (the embedded default, " + EmbeddedDatabaseFileName + " in the working directory)";

    /// <summary>Makes the store for <paramref name="dbUrl"/>.</summary>
    /// <param name="dbUrl">The configured <c>db_url</c>; empty for the embedded default.</param>
    /// <param name="configuredKeys">The keys from <c>db_encrypt_keys</c> or <see cref="EncryptionKeys.EnvironmentVariable"/>; may be none.</param>
    /// <param name="workingDirectory">What relative SQLite paths and the embedded default are relative to.</param>
    /// <param name="logger">For the store and the key file.</param>
    /// <param name="description">A line for the log saying what was chosen; it holds no secret (not even a URL's password).</param>
    /// <exception cref="ConfigurationException">The URL is not supported, or a configured durable database has no keys.</exception>
    public static IClusterStore Create(string dbUrl, EncryptionKeys configuredKeys, string workingDirectory, ILogger logger, out string description)
    {
        ArgumentNullException.ThrowIfNull(dbUrl);
        ArgumentNullException.ThrowIfNull(configuredKeys);
        ArgumentException.ThrowIfNullOrEmpty(workingDirectory);
        ArgumentNullException.ThrowIfNull(logger);
        workingDirectory = Path.GetFullPath(workingDirectory);

        if (dbUrl.Length == 0)
        {
            var path = Path.Combine(workingDirectory, EmbeddedDatabaseFileName);
            if (configuredKeys.Count > 0)
            {
                description = $"SQLite database {path} (embedded default; {configuredKeys} from {KeySourceName})";
                return new SqliteClusterStore(path, configuredKeys.CreateMultiFernet(TimeProvider.System), logger, KeySourceName);
            }

            var keyFile = Path.Combine(workingDirectory, KeyFileName);
            var keys = KeyFile.LoadOrCreate(keyFile, logger, out var created);
            description = $"SQLite database {path} (embedded default; {keys} from the key file {keyFile}{(created ? ", made now" : "")})";
            return new SqliteClusterStore(path, keys.CreateMultiFernet(TimeProvider.System), logger, "the key file " + keyFile);
        }

        if (dbUrl is SqlitePrefix or SqlitePrefix + "/:memory:")
        {
            description = "in-memory database (nothing survives a restart)";
            return new InMemoryClusterStore();
        }

        if (!dbUrl.StartsWith(SqlitePrefix + "/", StringComparison.Ordinal))
        {
            throw new ConfigurationException(DescribeUnsupported(dbUrl));
        }

        // SQLAlchemy: sqlite:///relative/path, sqlite:////absolute/path (the fourth slash starts the path).
        var relativeOrAbsolute = dbUrl[(SqlitePrefix.Length + 1)..];
        if (relativeOrAbsolute.Length == 0)
        {
            throw new ConfigurationException($"The database URL {dbUrl} names no file; {SupportedUrls}");
        }

        var file = Path.GetFullPath(relativeOrAbsolute, workingDirectory);
        if (configuredKeys.Count == 0)
        {
            throw new ConfigurationException(MissingKeysMessage);
        }

        description = $"SQLite database {file} ({configuredKeys} from {KeySourceName})";
        return new SqliteClusterStore(file, configuredKeys.CreateMultiFernet(TimeProvider.System), logger, KeySourceName);
    }

    private static string KeySourceName => "db_encrypt_keys/" + EncryptionKeys.EnvironmentVariable;

    /// <summary>Names the URL's scheme only: the rest of a URL may hold a password.</summary>
    private static string DescribeUnsupported(string dbUrl)
    {
        var schemeEnd = dbUrl.IndexOf("://", StringComparison.Ordinal);
        return schemeEnd > 0
            ? $"Database URLs with the scheme `{dbUrl[..schemeEnd]}` are not supported yet; {SupportedUrls}"
            : $"db_url is not a database URL; {SupportedUrls}";
    }
}
