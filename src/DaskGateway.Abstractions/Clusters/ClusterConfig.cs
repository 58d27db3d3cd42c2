using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using DaskGateway.Configuration;

namespace DaskGateway.Clusters;

/// <summary>
/// The settings of one cluster: configured for everybody in the config file
/// (<c>c.ClusterConfig.WorkerCores = 2</c>) and overridden per cluster by the options handler.
/// Each backend has its own subclass; extensions may derive from it to add settings.
/// </summary>
public class ClusterConfig
{
    /// <summary>The command that starts a scheduler; a single string is one argument.</summary>
    [CommandSetting]
    [Description("Command that starts a Dask scheduler (a string is one argument, not split).")]
    public IReadOnlyList<string> SchedulerCmd { get; set; } = ["dask-scheduler"];

    /// <summary>The command that starts a worker; a single string is one argument.</summary>
    [CommandSetting]
    [Description("Command that starts a Dask worker (a string is one argument, not split).")]
    public IReadOnlyList<string> WorkerCmd { get; set; } = ["dask-worker"];

    /// <summary>
    /// What the scheduler preloads (<c>--preload</c>): a file path or a module name; empty for the
    /// backend's default (the preload shipped with the gateway; <c>dask_gateway.scheduler_preload</c>
    /// where upstream's package is installed works too).
    /// </summary>
    [Description("Scheduler preload (--preload): a file or module, e.g. dask_gateway.scheduler_preload; empty for the backend's default.")]
    public string SchedulerPreload { get; set; } = "";

    /// <summary>Environment variables set for the scheduler and the workers.</summary>
    [Description("Environment variables for schedulers and workers.")]
    public IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    /// <summary>Memory available to each worker.</summary>
    [Description("Memory of each worker, in bytes or as '2 G', '512M'.")]
    public MemorySize WorkerMemory { get; set; } = MemorySize.FromGiB(2);

    /// <summary>Cores available to each worker.</summary>
    [Description("Cores of each worker.")]
    public double WorkerCores { get; set; } = 1;

    /// <summary>Threads of each worker; by default the whole number of <see cref="WorkerCores"/>, at least 1.</summary>
    [Description("Threads of each worker (default: the number of worker cores, at least 1).")]
    [Range(1, int.MaxValue)]
    public int? WorkerThreads { get; set; }

    /// <summary>Memory available to the scheduler.</summary>
    [Description("Memory of the scheduler, in bytes or as '2 G', '512M'.")]
    public MemorySize SchedulerMemory { get; set; } = MemorySize.FromGiB(2);

    /// <summary>Cores available to the scheduler.</summary>
    [Description("Cores of the scheduler.")]
    public double SchedulerCores { get; set; } = 1;

    /// <summary>Seconds between adaptive scaling decisions on the scheduler.</summary>
    [Description("Seconds between adaptive scaling decisions.")]
    public double AdaptivePeriod { get; set; } = 3;

    /// <summary>Seconds a cluster may sit idle before it shuts itself down; 0 disables.</summary>
    [Description("Seconds of inactivity after which a cluster stops itself (0 disables).")]
    [Range(0, double.MaxValue)]
    public double IdleTimeout { get; set; }

    /// <summary>
    /// Seconds a cluster may be active, counted from its start time; the gateway stops it then,
    /// whatever it is doing. 0 disables.
    /// </summary>
    [Description("Seconds after its start at which the gateway stops a cluster (0 disables).")]
    [Range(0, double.MaxValue)]
    public double MaxLifetime { get; set; }

    /// <summary>
    /// Seconds a running cluster may go without a connected Dask client before the gateway stops
    /// it; 0 disables. Measured from the scheduler's heartbeats (README, "Operating a shared gateway").
    /// </summary>
    [Description("Seconds without a connected Dask client after which the gateway stops a cluster (0 disables).")]
    [Range(0, double.MaxValue)]
    public double NoClientTimeout { get; set; }

    /// <summary>The most memory a cluster (scheduler and workers) may use; unlimited when null.</summary>
    [Description("Most memory a cluster may use, scheduler included (unlimited when None).")]
    public MemorySize? ClusterMaxMemory { get; set; }

    /// <summary>The most cores a cluster (scheduler and workers) may use; unlimited when null.</summary>
    [Description("Most cores a cluster may use, scheduler included (unlimited when None).")]
    [Range(0, double.MaxValue)]
    public double? ClusterMaxCores { get; set; }

    /// <summary>The most workers a cluster may have; see <see cref="WorkerLimit"/> for the limit in force.</summary>
    [Description("Most workers a cluster may have (further reduced by the memory and cores limits).")]
    [Range(0, int.MaxValue)]
    public int? ClusterMaxWorkers { get; set; }

    /// <summary>
    /// The most workers a cluster may have when <see cref="ClusterMaxWorkers"/> is null (upstream
    /// has no limit then): a scale request of <see cref="int.MaxValue"/> workers must not make the
    /// gateway try to start them.
    /// </summary>
    [Description("Most workers a cluster may have when ClusterMaxWorkers is None (further reduced by the memory and cores limits).")]
    [Range(0, int.MaxValue)]
    public int DefaultClusterMaxWorkers { get; set; } = 1000;

    /// <summary>The threads each worker runs.</summary>
    public int EffectiveWorkerThreads => WorkerThreads ?? Math.Max((int)WorkerCores, 1);

    /// <summary>
    /// The number of workers this cluster may have: the smallest of <see cref="ClusterMaxWorkers"/>
    /// (or <see cref="DefaultClusterMaxWorkers"/> when that is null) and what
    /// <see cref="ClusterMaxMemory"/> and <see cref="ClusterMaxCores"/> leave room for after the
    /// scheduler.
    /// </summary>
    public int WorkerLimit
    {
        get
        {
            var limit = ClusterMaxWorkers ?? DefaultClusterMaxWorkers;
            if (ClusterMaxMemory is { } maxMemory && WorkerMemory.Bytes > 0)
            {
                limit = Math.Min(limit, FloorNonNegative((maxMemory.Bytes - SchedulerMemory.Bytes) / (double)WorkerMemory.Bytes));
            }

            if (ClusterMaxCores is { } maxCores && WorkerCores > 0)
            {
                limit = Math.Min(limit, FloorNonNegative((maxCores - SchedulerCores) / WorkerCores));
            }

            return Math.Max(limit, 0);
        }
    }

    /// <summary>
    /// Checks the settings together, after every value is applied. Returns the problems, each a
    /// message for the user who asked for the cluster. Subclasses add their own checks.
    /// </summary>
    public virtual IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[] { ("worker_cores", WorkerCores), ("scheduler_cores", SchedulerCores), ("adaptive_period", AdaptivePeriod) })
        {
            if (!(value > 0) || !double.IsFinite(value))
            {
                yield return $"{name} must be greater than 0, got {PythonFormat.Float(value)}";
            }
        }

        if (WorkerMemory.Bytes <= 0 || SchedulerMemory.Bytes <= 0)
        {
            yield return $"worker_memory and scheduler_memory must be greater than 0, got {WorkerMemory} and {SchedulerMemory}";
        }

        if (ClusterMaxMemory is { } maxMemory && SchedulerMemory > maxMemory)
        {
            yield return $"Scheduler memory request of {SchedulerMemory} exceeds cluster memory limit of {maxMemory}";
        }

        if (ClusterMaxCores is { } maxCores && SchedulerCores > maxCores)
        {
            yield return $"Scheduler cores request of {PythonFormat.Float(SchedulerCores)} exceeds cluster cores limit of {PythonFormat.Float(maxCores)}";
        }
    }

    private static int FloorNonNegative(double value) => value <= 0 ? 0 : value >= int.MaxValue ? int.MaxValue : (int)Math.Floor(value);
}
