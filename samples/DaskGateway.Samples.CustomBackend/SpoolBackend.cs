// A backend that is not derived from DBBackendBase: the gateway keeps no database for it, and
// something outside the gateway (a batch submitter, a cloud launcher, a shell loop) starts the
// schedulers. The gateway and that launcher talk through files in one directory:
//
//     c.DaskGateway.BackendClass = "DaskGateway.Samples.CustomBackend.SpoolBackend";
//     c.SpoolBackend.Directory = "/var/spool/dask-gateway";
//     c.SpoolBackend.SchedulerHosts = new[] { "10.1.2.3", "node7.example.org" };
//
// For each new cluster the gateway writes <name>.launch.json (see LaunchRequest); the launcher
// starts `dask-scheduler --preload dask_gateway_preload.py` with the file's environment and TLS
// files, and the scheduler's first heartbeat makes the cluster RUNNING. To stop one, the gateway
// writes <name>.stop.json and the launcher ends the scheduler and its workers.
using System.ComponentModel;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using Microsoft.Extensions.DependencyInjection;

// Owner-only files and directories (the requests hold secrets) use Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace DaskGateway.Samples.CustomBackend;

/// <summary>Clusters started by an external launcher that reads requests from a spool directory.</summary>
/// <remarks>The attribute is what lets the gateway host this class: it names the module that registers its services.</remarks>
[GatewayBackendModule(typeof(SpoolBackendModule))]
public class SpoolBackend : Backend
{
    /// <summary>The directory launch and stop requests are written to (absolute; created 0700 if missing).</summary>
    [Description("Directory where launch and stop requests are written for the external launcher (absolute path).")]
    public string Directory { get; set; } = "";

    /// <summary>The hosts the launcher runs schedulers on; heartbeats naming other hosts are refused.</summary>
    [Description("Hosts the launcher runs schedulers on (IP addresses or DNS names); heartbeats naming other hosts are refused.")]
    public IReadOnlyList<string> SchedulerHosts { get; set; } = ["127.0.0.1", "::1", "localhost"];

    /// <summary>Seconds a stopped cluster stays listed before it is forgotten.</summary>
    [Description("Seconds a stopped cluster is still listed before it is forgotten.")]
    public double StoppedClusterRetention { get; set; } = 3600;
}

/// <summary>Checks the spool backend's settings and registers its cluster source.</summary>
public sealed class SpoolBackendModule : IGatewayBackendModule
{
    /// <inheritdoc/>
    public void Configure(BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Backend is not SpoolBackend spool)
        {
            context.AddError(nameof(Backend), $"{context.Backend.GetType().Name} is not a {nameof(SpoolBackend)}");
            return;
        }

        // Relative paths would depend on the gateway's working directory, which the launcher may not share.
        if (!Path.IsPathFullyQualified(spool.Directory))
        {
            context.AddError(nameof(SpoolBackend.Directory), $"must be an absolute path, got '{spool.Directory}'");
        }

        if (spool.SchedulerHosts.Count == 0)
        {
            context.AddError(nameof(SpoolBackend.SchedulerHosts), "must name at least one host: heartbeats from any other host are refused");
        }

        if (spool.StoppedClusterRetention < 0)
        {
            context.AddError(nameof(SpoolBackend.StoppedClusterRetention), $"must not be negative, got {spool.StoppedClusterRetention}");
        }
    }

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services, BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The host registers the backend as Backend; the source asks for its own type.
        services.AddSingleton((SpoolBackend)context.Backend);
        services.AddSingleton<IClusterSource, SpoolClusterSource>();
    }
}
