using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>A logger that tests can await: every entry goes to a channel.</summary>
public class ChannelLogger : ILogger
{
    private readonly Channel<LogEntry> _entries = Channel.CreateUnbounded<LogEntry>();

    public ChannelReader<LogEntry> Entries => _entries.Reader;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        _entries.Writer.TryWrite(new LogEntry(logLevel, eventId, formatter(state, exception), exception, values.ToDictionary()));
    }

    /// <summary>The next entry, failing the test if none comes within ten seconds.</summary>
    public async Task<LogEntry> NextAsync() =>
        await _entries.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
}

/// <summary>A <see cref="ChannelLogger"/> for a component that takes an <see cref="ILogger{TCategoryName}"/>.</summary>
public sealed class ChannelLogger<T> : ChannelLogger, ILogger<T>;

public sealed record LogEntry(LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> Values);
