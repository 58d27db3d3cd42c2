using DaskGateway.Configuration;
using DaskGateway.Storage.Encryption;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Storage.Encryption;

public sealed class KeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dask-gateway-keyfile-").FullName;
    private readonly RecordingLogger _logger = new();

    private string KeyPath => Path.Combine(_directory, "state", "dask_gateway.keys");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void FirstCall_CreatesAnOwnerOnlyFileWithOneKey_AndLogsWithoutTheKey()
    {
        var keys = KeyFile.LoadOrCreate(KeyPath, _logger, out var created);

        Assert.True(created);
        var key = Assert.Single(keys.Keys);
        Assert.Equal(key, Assert.Single(EncryptionKeys.Parse([File.ReadAllText(KeyPath).Trim()]).Keys));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        }

        var entry = Assert.Single(_logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal(1500, entry.EventId.Id);
        Assert.Contains(KeyPath, entry.Message, StringComparison.Ordinal);
        Assert.Contains("back it up", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key, entry.Message, StringComparison.Ordinal);
        Assert.Equal([Path.GetFileName(KeyPath)], Directory.GetFiles(Path.GetDirectoryName(KeyPath)!).Select(Path.GetFileName));
    }

    [Fact]
    public void SecondCall_ReusesTheFile()
    {
        var first = KeyFile.LoadOrCreate(KeyPath, _logger, out _);

        var second = KeyFile.LoadOrCreate(KeyPath, _logger, out var created);

        Assert.False(created);
        Assert.Equal(first.Keys, second.Keys);
        Assert.DoesNotContain(_logger.Entries, entry => entry.Message.Contains(first.Keys[0], StringComparison.Ordinal));
    }

    [Fact]
    public void ExistingFile_MayHoldSeveralKeys_OnLinesOrSeparatedBySemicolons()
    {
        string[] keys = [EncryptionKeys.GenerateKey(), EncryptionKeys.GenerateKey(), EncryptionKeys.GenerateKey()];
        WriteOwnerOnly($"{keys[0]}\r\n\n{keys[1]}; {keys[2]}\n");

        var loaded = KeyFile.LoadOrCreate(KeyPath, _logger, out var created);

        Assert.False(created);
        Assert.Equal(keys, loaded.Keys);
    }

    [Fact]
    public void FileAccessibleToOthers_IsRefused()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes only");
            return;
        }

        WriteOwnerOnly(EncryptionKeys.GenerateKey());
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var error = Assert.Throws<ConfigurationException>(() => KeyFile.LoadOrCreate(KeyPath, _logger, out _));

        Assert.Contains(KeyPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("644", error.Message, StringComparison.Ordinal);
        Assert.Contains("chmod 600", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidKeyInFile_IsReportedWithThePathButNotTheKey()
    {
        const string bad = "definitely-not-a-valid-key";
        WriteOwnerOnly(bad);

        var error = Assert.Throws<ConfigurationException>(() => KeyFile.LoadOrCreate(KeyPath, _logger, out _));

        Assert.Contains(KeyPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(EncryptionKeys.InvalidKeyMessage, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(bad, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFile_IsRefused()
    {
        WriteOwnerOnly("\n");

        var error = Assert.Throws<ConfigurationException>(() => KeyFile.LoadOrCreate(KeyPath, _logger, out _));

        Assert.Contains("holds no keys", error.Message, StringComparison.Ordinal);
    }

    private void WriteOwnerOnly(string contents)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(KeyPath)!);
        File.WriteAllText(KeyPath, contents);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private sealed record LogEntry(LogLevel Level, EventId EventId, string Message);

    private sealed class RecordingLogger : ILogger
    {
        public List<LogEntry> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add(new LogEntry(logLevel, eventId, formatter(state, exception)));
    }
}
