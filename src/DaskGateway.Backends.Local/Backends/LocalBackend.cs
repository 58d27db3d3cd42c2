using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using DaskGateway.Auth;
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
    private const string Tail = "/usr/bin/tail";
    private const string Remove = "/usr/bin/rm";

    /// <summary>The most of a log read to describe a failure: its end, however large the log grew.</summary>
    private const int LogTailBytes = 64 * 1024;

    /// <summary>Lines of the log's end quoted in a failure's reason.</summary>
    private const int LogTailLines = 5;

    /// <summary>A log is read by a helper that may meet a FIFO or a slow file system; it gets this long.</summary>
    private static readonly TimeSpan LogReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Removing a working directory may take a while for a large tree, not forever.</summary>
    private static readonly TimeSpan RemoveTimeout = TimeSpan.FromSeconds(60);

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

    /// <summary>The lowest uid a cluster may run as: below it are the system's own accounts.</summary>
    [Description("The lowest uid a cluster may run as; users whose account has a lower uid (system accounts) are refused. Root is always refused.")]
    [Range(1, uint.MaxValue)]
    public long MinimumUid { get; set; } = 1000;

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

    /// <summary>Refuses a user without an account that clusters may run as (<see cref="UserAccount.FindAsync"/>).</summary>
    public override async Task<string?> GetRefusalReasonAsync(User user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!RunsAsClusterUser)
        {
            return null;
        }

        try
        {
            return (await UserAccount.FindAsync(user.Name, MinimumUid, cancellationToken)).Refusal;
        }
        catch (InvalidOperationException)
        {
            // The account database did not answer: not the user's fault; the start checks again and says why.
            return null;
        }
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<JsonObject> StartClusterAsync(ClusterInfo cluster, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var account = await AccountAsync(cluster, cancellationToken);
        var command = Resolve(cluster.Config.SchedulerCmd, "scheduler");
        var workdir = await CreateWorkingDirectoryAsync(cluster, account, cancellationToken);
        yield return new JsonObject { ["workdir"] = workdir };

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
        var pid = await LocalProcess.StartAsync(arguments, Path.Combine(workdir, "logs", "scheduler.log"), workdir, Environment(cluster, workdir, "scheduler", account), account, _ => NotifyMayHaveExited(cluster.Name), cancellationToken);
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

        if (cluster.State["workdir"]?.GetValue<string>() is { } workdir)
        {
            await RemoveWorkingDirectoryAsync(workdir, await AccountAsync(cluster, cancellationToken), cancellationToken);
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
        var cluster = worker.Cluster;
        var account = await AccountAsync(cluster, cancellationToken);
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
        var pid = await LocalProcess.StartAsync(arguments, Path.Combine(workdir, "logs", $"worker-{worker.Name}.log"), workdir, Environment(cluster, workdir, "worker", account), account, _ => NotifyMayHaveExited(cluster.Name, worker.Name), cancellationToken);
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
        if (workdir is null)
        {
            return exit;
        }

        var log = Path.Combine(workdir, "logs", worker is null ? "scheduler.log" : $"worker-{worker.Name}.log");
        var tail = await ReadLogTailAsync(cluster, log, cancellationToken);
        return tail.Length == 0 ? exit : $"{exit}; the end of its log ({log}):\n{tail}";
    }

    /// <summary>
    /// The last non-empty lines of a log, read by <c>tail</c> as the cluster's user: the log and the
    /// directories above it are the user's, so whatever they point it at is read with the user's
    /// rights, only its end, and a FIFO only costs the timeout. Empty when it cannot be read.
    /// </summary>
    private async Task<string> ReadLogTailAsync(ClusterInfo cluster, string log, CancellationToken cancellationToken)
    {
        HelperResult read;
        try
        {
            var account = await AccountAsync(cluster, cancellationToken);
            read = await LocalProcess.RunHelperAsync([Tail, "-c", LogTailBytes.ToString(CultureInfo.InvariantCulture), "--", log], account, LogTailBytes, LogReadTimeout, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            // No account to read it as (it went away): the reason goes without the log.
            return "";
        }

        if (read.ExitCode != 0)
        {
            return "";
        }

        var lines = Encoding.UTF8.GetString(read.StandardOutput).Split('\n');
        // A full read most likely begins inside a line; only whole lines are quoted.
        var whole = read.StandardOutput.Length == LogTailBytes ? lines.Skip(1) : lines;
        return string.Join("\n", whole.Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).TakeLast(LogTailLines));
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

    private async Task<UserAccount?> AccountAsync(ClusterInfo cluster, CancellationToken cancellationToken) => RunsAsClusterUser
        ? await UserAccount.LookupAsync(cluster.Username, MinimumUid, cancellationToken)
        : null;

    /// <summary>
    /// Makes a new working directory with the cluster's credentials. Everything is made by the
    /// gateway, private to it, and only then given to the user, entries first and the top last: until
    /// the top is theirs the user cannot reach inside, so nothing can be swapped for a link while the
    /// gateway works there, and an ownership change never follows a link. A directory that already
    /// exists is never reused.
    /// </summary>
    private async Task<string> CreateWorkingDirectoryAsync(ClusterInfo cluster, UserAccount? account, CancellationToken cancellationToken)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        string workdir;
        if (ClustersDirectory.Length > 0)
        {
            workdir = Path.GetFullPath(Path.Combine(ClustersDirectory, cluster.Name));
            try
            {
                Directory.CreateDirectory(ClustersDirectory);
                NativeMethods.CreateNewDirectory(workdir, OwnerOnly);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"cannot create the cluster directory {workdir}: {e.Message}", e);
            }
        }
        else
        {
            workdir = Directory.CreateTempSubdirectory($"dask-gateway-{cluster.Name}-").FullName;
        }

        try
        {
            var certificates = Path.Combine(workdir, ".certs");
            var logs = Path.Combine(workdir, "logs");
            NativeMethods.CreateNewDirectory(certificates, OwnerOnly);
            NativeMethods.CreateNewDirectory(logs, OwnerOnly);
            var certificate = await WriteNewFileAsync(Path.Combine(certificates, "dask.crt"), cluster.TlsCertificatePem, cancellationToken);
            var key = await WriteNewFileAsync(Path.Combine(certificates, "dask.pem"), cluster.TlsKeyPem, cancellationToken);
            if (account is not null)
            {
                foreach (var entry in new[] { certificate, key, certificates, logs, workdir })
                {
                    NativeMethods.ChangeOwnerOfEntry(entry, account.UserId, account.GroupId);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The top is given last, so the user never had it: nothing inside can be theirs to redirect.
            Directory.Delete(workdir, recursive: true);
            throw new InvalidOperationException($"cannot prepare the cluster directory {workdir}: {e.Message}", e);
        }

        return workdir;
    }

    private static async Task<string> WriteNewFileAsync(string path, string content, CancellationToken cancellationToken)
    {
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

        return path;
    }

    /// <summary>
    /// Removes a working directory the user has had: <c>rm</c> as the user takes what is inside (it
    /// never follows a link, and can only remove what the user could), then the gateway removes the
    /// top, which <c>rmdir</c> does only when it is an empty directory, never through a link.
    /// </summary>
    private static async Task RemoveWorkingDirectoryAsync(string workdir, UserAccount? account, CancellationToken cancellationToken)
    {
        var removal = await LocalProcess.RunHelperAsync([Remove, "-rf", "--one-file-system", "--", workdir], account, 4096, RemoveTimeout, cancellationToken);
        try
        {
            NativeMethods.RemoveEmptyDirectory(workdir);
        }
        catch (IOException e)
        {
            throw new IOException($"{e.Message} ({removal.StandardError.Trim()})", e);
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
