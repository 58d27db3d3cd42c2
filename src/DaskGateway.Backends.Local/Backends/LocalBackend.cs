using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>
/// Runs each cluster's scheduler and workers as local processes of the user who asked for the
/// cluster (the gateway must run as root to switch users). See <see cref="UnsafeLocalBackend"/> for
/// running them as the gateway's own user.
/// </summary>
[ClassAlias("local")]
[ClassAlias("dask_gateway_server.backends.local.LocalBackend")]
public class LocalBackend : DBBackendBase
{
    /// <summary>The preload shipped with the gateway, next to its executable.</summary>
    public static readonly string BundledPreload = Path.Combine(AppContext.BaseDirectory, "dask_gateway_preload.py");

    private const string LocalHost = "127.0.0.1";

    /// <inheritdoc/>
    public override Type ClusterConfigClass { get; set; } = typeof(LocalClusterConfig);

    /// <summary>Seconds to wait after SIGINT before sending SIGTERM.</summary>
    [Description("Seconds to wait after SIGINT before SIGTERM when stopping a process.")]
    [Range(0, double.MaxValue)]
    public double SigintTimeout { get; set; } = 10;

    /// <summary>Seconds to wait after SIGTERM before sending SIGKILL.</summary>
    [Description("Seconds to wait after SIGTERM before SIGKILL when stopping a process.")]
    [Range(0, double.MaxValue)]
    public double SigtermTimeout { get; set; } = 5;

    /// <summary>Seconds to wait after SIGKILL.</summary>
    [Description("Seconds to wait after SIGKILL when stopping a process.")]
    [Range(0, double.MaxValue)]
    public double SigkillTimeout { get; set; } = 5;

    /// <summary>Where clusters' working directories go; empty for a new temporary directory per cluster.</summary>
    [Description("Directory for the clusters' working directories (certificates, logs); empty: a new temporary directory per cluster.")]
    public string ClustersDirectory { get; set; } = "";

    /// <summary>Variables of the gateway's own environment that schedulers and workers inherit.</summary>
    [Description("Variables of the gateway's environment that schedulers and workers inherit.")]
    public IReadOnlyList<string> InheritedEnvironment { get; set; } = ["PATH", "PYTHONPATH", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "LANG", "LC_ALL"];

    /// <summary>Whether processes run as the cluster's user (true) or as the gateway's user.</summary>
    protected virtual bool RunsAsClusterUser => true;

    /// <inheritdoc/>
    public override Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (RunsAsClusterUser && NativeMethods.GetEffectiveUserId() != 0)
        {
            throw new InvalidOperationException(
                "LocalBackend runs each cluster as its user and so needs the gateway to run as root; "
                + "to run clusters as the gateway's own user, set DaskGateway.BackendClass to UnsafeLocalBackend");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> StartClusterAsync(ClusterInfo cluster, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var account = RunsAsClusterUser ? UserAccount.Lookup(cluster.Username) : null;
        var command = Resolve(cluster.Config.SchedulerCmd, "scheduler");
        var workdir = CreateWorkingDirectory(cluster.Name, account);
        yield return new JsonObject { ["workdir"] = workdir };

        await WriteCredentialsAsync(workdir, cluster, account, cancellationToken);
        var preload = cluster.Config.SchedulerPreload.Length > 0 ? cluster.Config.SchedulerPreload : BundledPreload;
        var heartbeatPeriod = ClusterHeartbeatPeriod == Math.Floor(ClusterHeartbeatPeriod) ? ((long)ClusterHeartbeatPeriod).ToString(CultureInfo.InvariantCulture) : PythonFloat(ClusterHeartbeatPeriod);
        List<string> arguments =
        [
            .. command,
            "--protocol", "tls",
            "--port", "0",
            "--host", LocalHost,
            "--dashboard-address", $"{LocalHost}:0",
            "--preload", preload,
            "--dg-api-address", $"{LocalHost}:0",
            "--dg-heartbeat-period", heartbeatPeriod,
            "--dg-adaptive-period", PythonFloat(cluster.Config.AdaptivePeriod),
            "--dg-idle-timeout", PythonFloat(cluster.Config.IdleTimeout),
        ];
        var pid = LocalProcess.Start(arguments, Path.Combine(workdir, "logs", "scheduler.log"), workdir, Environment(cluster, workdir, "scheduler", account), account, _ => NotifyMayHaveExited(cluster.Name));
        yield return new JsonObject { ["workdir"] = workdir, ["pid"] = pid };
    }

    /// <inheritdoc/>
    public override async Task StopClusterAsync(ClusterInfo cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (Pid(cluster.State) is { } pid)
        {
            await StopProcessAsync(pid, cluster.IsStopping, cancellationToken);
        }

        if (cluster.State["workdir"]?.GetValue<string>() is { } workdir && Directory.Exists(workdir))
        {
            Directory.Delete(workdir, recursive: true);
        }
    }

    /// <inheritdoc/>
    public override Task<IReadOnlyList<bool>> CheckClustersAsync(IReadOnlyList<ClusterInfo> clusters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        return Task.FromResult<IReadOnlyList<bool>>([.. clusters.Select(c => Pid(c.State) is { } pid && NativeMethods.IsAlive(pid))]);
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> StartWorkerAsync(WorkerInfo worker, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        await Task.CompletedTask;
        var cluster = worker.Cluster;
        var account = RunsAsClusterUser ? UserAccount.Lookup(cluster.Username) : null;
        var command = Resolve(cluster.Config.WorkerCmd, "worker");
        var workdir = cluster.State["workdir"]?.GetValue<string>() ?? throw new InvalidOperationException("the cluster has no working directory");
        List<string> arguments =
        [
            .. command,
            cluster.SchedulerAddress,
            "--dashboard-address", $"{LocalHost}:0",
            "--name", worker.Name,
            "--nthreads", cluster.Config.EffectiveWorkerThreads.ToString(CultureInfo.InvariantCulture),
            "--memory-limit", cluster.Config.WorkerMemory.Bytes.ToString(CultureInfo.InvariantCulture),
        ];
        var pid = LocalProcess.Start(arguments, Path.Combine(workdir, "logs", $"worker-{worker.Name}.log"), workdir, Environment(cluster, workdir, "worker", account), account, _ => NotifyMayHaveExited(cluster.Name, worker.Name));
        yield return new JsonObject { ["pid"] = pid };
    }

    /// <inheritdoc/>
    public override async Task StopWorkerAsync(WorkerInfo worker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (Pid(worker.State) is { } pid)
        {
            await StopProcessAsync(pid, worker.Cluster.IsStopping, cancellationToken);
        }
    }

    /// <inheritdoc/>
    public override Task<IReadOnlyList<bool>> CheckWorkersAsync(IReadOnlyList<WorkerInfo> workers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workers);
        return Task.FromResult<IReadOnlyList<bool>>([.. workers.Select(w => Pid(w.State) is { } pid && NativeMethods.IsAlive(pid))]);
    }

    /// <summary>Only loopback: every scheduler is started with <c>--host 127.0.0.1</c> on this machine.</summary>
    public override bool IsSchedulerHost(ClusterInfo cluster, string host) =>
        System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address);

    /// <inheritdoc/>
    public override async Task<string?> DescribeFailureAsync(ClusterInfo cluster, WorkerInfo? worker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var pid = Pid(worker?.State ?? cluster.State);
        var what = worker is null ? "the scheduler" : $"worker {worker.Name}";
        var exit = pid is { } p && LocalProcess.ExitCode(p) is { } code ? $"{what} exited with code {code}" : $"{what} is no longer running";
        var workdir = cluster.State["workdir"]?.GetValue<string>();
        var log = workdir is null ? null : Path.Combine(workdir, "logs", worker is null ? "scheduler.log" : $"worker-{worker.Name}.log");
        if (log is null || !File.Exists(log))
        {
            return exit;
        }

        var lines = await File.ReadAllLinesAsync(log, cancellationToken);
        var tail = string.Join("\n", lines.Where(l => l.Trim().Length > 0).TakeLast(5));
        return tail.Length == 0 ? exit : $"{exit}; the end of its log ({log}):\n{tail}";
    }

    private static string PythonFloat(double value) => PythonFormat.Float(value);

    private static int? Pid(JsonObject state) => state["pid"]?.GetValue<int>();

    /// <summary>
    /// Ends a process group. A retired worker or a cluster stopped on its own gets the signal ladder;
    /// when the whole cluster is being discarded, graceful shutdown protects nothing (dask takes
    /// seconds to close a worker politely), so its processes are killed at once.
    /// </summary>
    private Task StopProcessAsync(int pid, bool discarding, CancellationToken cancellationToken) => discarding
        ? LocalProcess.StopAsync(pid, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(SigkillTimeout), cancellationToken, killFirst: true)
        : LocalProcess.StopAsync(pid, TimeSpan.FromSeconds(SigintTimeout), TimeSpan.FromSeconds(SigtermTimeout), TimeSpan.FromSeconds(SigkillTimeout), cancellationToken);

    /// <summary>Finds the command's program now, so that a wrong command fails the start with a clear reason.</summary>
    private static IReadOnlyList<string> Resolve(IReadOnlyList<string> command, string what)
    {
        if (command.Count == 0)
        {
            throw new InvalidOperationException($"the {what} command is empty");
        }

        var program = command[0];
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? command : throw new InvalidOperationException($"the {what} command '{program}' does not exist");
        }

        var path = System.Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
        return found is not null
            ? [found, .. command.Skip(1)]
            : throw new InvalidOperationException($"the {what} command '{program}' was not found on PATH ({path})");
    }

    private string CreateWorkingDirectory(string clusterName, UserAccount? account)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        string workdir;
        if (ClustersDirectory.Length > 0)
        {
            workdir = Path.GetFullPath(Path.Combine(ClustersDirectory, clusterName));
            try
            {
                Directory.CreateDirectory(ClustersDirectory);
                Directory.CreateDirectory(workdir, OwnerOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"cannot create the cluster directory {workdir}: {e.Message}", e);
            }
        }
        else
        {
            workdir = Directory.CreateTempSubdirectory($"dask-gateway-{clusterName}-").FullName;
        }

        foreach (var directory in new[] { workdir, Path.Combine(workdir, ".certs"), Path.Combine(workdir, "logs") })
        {
            Directory.CreateDirectory(directory, OwnerOnly);
            if (account is not null)
            {
                NativeMethods.ChangeOwner(directory, account.UserId, account.GroupId);
            }
        }

        return workdir;
    }

    private static async Task WriteCredentialsAsync(string workdir, ClusterInfo cluster, UserAccount? account, CancellationToken cancellationToken)
    {
        foreach (var (file, content) in new[] { ("dask.crt", cluster.TlsCertificatePem), ("dask.pem", cluster.TlsKeyPem) })
        {
            var path = Path.Combine(workdir, ".certs", file);
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            await using (var stream = new FileStream(path, options))
            await using (var writer = new StreamWriter(stream))
            {
                await writer.WriteAsync(content.AsMemory(), cancellationToken);
            }

            if (account is not null)
            {
                NativeMethods.ChangeOwner(path, account.UserId, account.GroupId);
            }
        }
    }

    /// <summary>The environment of protocol.md §3.3, plus the inherited variables and the user.</summary>
    private Dictionary<string, string> Environment(ClusterInfo cluster, string workdir, string role, UserAccount? account)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in InheritedEnvironment)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                environment[name] = value;
            }
        }

        foreach (var (name, value) in cluster.Config.Environment)
        {
            environment[name] = value;
        }

        var certificate = Path.Combine(workdir, ".certs", "dask.crt");
        var key = Path.Combine(workdir, ".certs", "dask.pem");
        environment["USER"] = cluster.Username;
        if (account is not null)
        {
            environment["HOME"] = account.Home;
        }

        environment["DASK_GATEWAY_API_URL"] = cluster.ApiUrl;
        environment["DASK_GATEWAY_API_TOKEN"] = cluster.Token;
        environment["DASK_GATEWAY_CLUSTER_NAME"] = cluster.Name;
        environment["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] = "True";
        environment["DASK_DISTRIBUTED__COMM__TLS__CA_FILE"] = certificate;
        environment[$"DASK_DISTRIBUTED__COMM__TLS__{role.ToUpperInvariant()}__KEY"] = key;
        environment[$"DASK_DISTRIBUTED__COMM__TLS__{role.ToUpperInvariant()}__CERT"] = certificate;
        return environment;
    }
}
