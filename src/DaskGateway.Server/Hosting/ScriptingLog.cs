using DaskGateway.Logging;
using DaskGateway.Scripting;

namespace DaskGateway.Hosting;

/// <summary>What the gateway logs about its extensions and config script once it has a logger.</summary>
internal static partial class ScriptingLog
{
    public static void Report(ILogger logger, ScriptingReport report)
    {
        foreach (var (origin, types) in report.Extensions)
        {
            ExtensionLoaded(logger, origin, types.Count == 0 ? "none" : string.Join(", ", types.Select(type => type.FullName)));
        }

        foreach (var file in report.SkippedHostAssemblies)
        {
            HostAssemblySkipped(logger, file);
        }

        ConfigurationLoaded(logger, (long)report.Elapsed.TotalMilliseconds, report.Compiled, report.FromCache);
    }

    [LoggerMessage(EventId = GatewayEventIds.ScriptingLogExtensionLoaded, Level = LogLevel.Information, Message = "Loaded extension {Origin}; configurable classes: {Classes}")]
    private static partial void ExtensionLoaded(ILogger logger, string origin, string classes);

    [LoggerMessage(EventId = GatewayEventIds.ScriptingLogHostAssemblySkipped, Level = LogLevel.Information, Message = "Skipped {Path} in an extension directory: the gateway ships an assembly of that name and uses its own")]
    private static partial void HostAssemblySkipped(ILogger logger, string path);

    [LoggerMessage(EventId = GatewayEventIds.ScriptingLogConfigurationLoaded, Level = LogLevel.Information, Message = "Extensions and config script loaded in {ElapsedMs} ms ({Compiled} compiled, {FromCache} from the compilation cache)")]
    private static partial void ConfigurationLoaded(ILogger logger, long elapsedMs, int compiled, int fromCache);
}
