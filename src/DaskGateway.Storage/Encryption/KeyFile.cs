using System.Text;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Storage.Encryption;

/// <summary>
/// The encryption key file of the embedded default database (design.md §4): with no key configured,
/// the gateway keeps its keys in a file beside the SQLite file it chose, made on first start with mode
/// 0600. The file holds keys as <see cref="EncryptionKeys.EnvironmentVariable"/> does, separated by
/// <c>;</c> or newlines.
/// </summary>
internal static partial class KeyFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Reads the keys from <paramref name="path"/>, or, when there is no such file, creates it (and its
    /// directory) holding one new key, readable and writable by the owner only from the moment it
    /// appears, and logs that it was made.
    /// </summary>
    /// <exception cref="ConfigurationException">
    /// The file is accessible to group or others, holds no keys, or holds an invalid key.
    /// </exception>
    public static EncryptionKeys LoadOrCreate(string path, ILogger logger, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(logger);
        path = Path.GetFullPath(path);

        if (!File.Exists(path) && TryCreate(path) is { } key)
        {
            LogCreated(logger, path);
            created = true;
            return EncryptionKeys.Parse([key]);
        }

        created = false;
        var keys = Load(path);
        LogLoaded(logger, path, keys.Count);
        return keys;
    }

    private static EncryptionKeys Load(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
            {
                throw new ConfigurationException(
                    $"The encryption key file {path} is accessible to other users (mode {Convert.ToString((int)mode, 8)}); "
                    + $"restrict it to its owner with `chmod 600 {path}`");
            }
        }

        EncryptionKeys keys;
        try
        {
            keys = EncryptionKeys.ParseSeparated(File.ReadAllText(path, Encoding.ASCII), ';', '\n');
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"The encryption key file {path} is invalid: {e.Message}", e);
        }

        if (keys.Count == 0)
        {
            throw new ConfigurationException($"The encryption key file {path} holds no keys");
        }

        return keys;
    }

    /// <summary>
    /// Writes a new key to a temporary owner-only file beside <paramref name="path"/> and moves it into
    /// place, so the key file never exists partly written or with a wider mode. Gives null when another
    /// process made the key file first.
    /// </summary>
    private static string? TryCreate(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Path.GetRandomFileName());
        var key = EncryptionKeys.GenerateKey();
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerReadWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // The process umask may have removed bits; the file is exactly 0600 before it is moved into place.
                    File.SetUnixFileMode(stream.SafeFileHandle, OwnerReadWrite);
                }

                stream.Write(Encoding.ASCII.GetBytes(key + "\n"));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.KeyFileCreated, Level = LogLevel.Information, Message = "Created a new database encryption key file at {Path}; keep it with the database and back it up, since the encrypted cluster credentials cannot be read without it")]
    private static partial void LogCreated(ILogger logger, string path);

    [LoggerMessage(EventId = GatewayEventIds.KeyFileLoaded, Level = LogLevel.Debug, Message = "Read {Count} database encryption key(s) from {Path}")]
    private static partial void LogLoaded(ILogger logger, string path, int count);
}
