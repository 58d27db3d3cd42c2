using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// Collects what a hosted gateway logs at Error or Critical, so that a test fails on an error it did
/// not declare with <see cref="Expect"/>: a server that logs an error while the test's assertions
/// pass has still gone wrong.
/// </summary>
public sealed class LoggedErrors : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly ConcurrentQueue<Func<LogEntry, bool>> _expected = new();

    public IReadOnlyCollection<LogEntry> Entries => _entries;

    /// <summary>Declares errors matching <paramref name="isExpected"/> part of the test.</summary>
    public void Expect(Func<LogEntry, bool> isExpected) => _expected.Enqueue(isExpected);

    /// <summary>The errors no expectation covers.</summary>
    public IReadOnlyList<LogEntry> Unexpected() => [.. _entries.Where(e => !_expected.Any(isExpected => isExpected(e)))];

    /// <summary>Fails the test when an error was logged that no expectation covers.</summary>
    public void AssertNoneUnexpected()
    {
        var unexpected = Unexpected();
        if (unexpected.Count > 0)
        {
            Assert.Fail(
                $"The gateway logged {unexpected.Count} unexpected error(s):"
                + string.Concat(unexpected.Select(e => $"{Environment.NewLine}  {e.Level} {e.EventId.Id} ({e.EventId.Name}): {e.Message}{(e.Exception is null ? "" : Environment.NewLine + "    " + e.Exception)}")));
        }
    }

    public ILogger CreateLogger(string categoryName) => new Collector(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Collector(LoggedErrors errors, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var values = (state as IReadOnlyList<KeyValuePair<string, object?>> ?? []).ToDictionary();
            values["{Category}"] = category;
            errors._entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception), exception, values));
        }
    }
}
