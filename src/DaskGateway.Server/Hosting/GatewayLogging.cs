using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace DaskGateway.Hosting;

/// <summary>Console logging in upstream's layout: <c>[I 2026-11-25 15:00:00.123 DaskGateway.Api] message</c>.</summary>
internal static class GatewayLogging
{
    public static void AddConsole(ILoggingBuilder logging)
    {
        logging.AddConsole(options => options.FormatterName = GatewayConsoleFormatter.FormatterName);
        logging.AddConsoleFormatter<GatewayConsoleFormatter, ConsoleFormatterOptions>();
    }

    /// <summary>Upstream's level names (DEBUG, INFO, WARN, WARNING, ERROR, CRITICAL), any case.</summary>
    public static bool TryParseLevel(string text, out LogLevel level)
    {
        level = text.Trim().ToUpperInvariant() switch
        {
            "TRACE" => LogLevel.Trace,
            "DEBUG" => LogLevel.Debug,
            "INFO" or "INFORMATION" => LogLevel.Information,
            "WARN" or "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" => LogLevel.Critical,
            _ => LogLevel.None,
        };
        return level != LogLevel.None;
    }

    public static LogLevel ParseLevel(string text) => TryParseLevel(text, out var level) ? level : LogLevel.Information;

    private sealed class GatewayConsoleFormatter : ConsoleFormatter
    {
        public const string FormatterName = "dask-gateway";

        public GatewayConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
            : base(FormatterName)
        {
            _ = options;
        }

        public override void Write<TState>(in LogEntry<TState> logEntry, Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            var letter = logEntry.LogLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => 'D',
                LogLevel.Information => 'I',
                LogLevel.Warning => 'W',
                LogLevel.Error => 'E',
                _ => 'C',
            };
            var category = logEntry.Category;
            textWriter.Write(string.Create(CultureInfo.InvariantCulture, $"[{letter} {DateTime.Now:yyyy-MM-dd HH:mm:ss.fff} {category}] {message}"));
            textWriter.Write('\n');
            if (logEntry.Exception is { } exception)
            {
                textWriter.Write(exception.ToString());
                textWriter.Write('\n');
            }
        }
    }
}
