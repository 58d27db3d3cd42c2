using System.Globalization;
using System.Net;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Tests;

/// <summary>
/// What a user may do to the gateway through their cluster when it runs clusters as their account
/// (as root, with LocalBackend): choose its environment, do anything in its working directory,
/// ask for a cluster under any name. As root each test runs as a throwaway account; as anyone else
/// the same attack runs against UnsafeLocalBackend, where it still checks what holds there.
/// </summary>
public sealed class LocalBackendIsolationTests : IDisposable
{
    private static readonly string[] GatewayHelpers = ["setsid", "setpriv", "env", "getent", "tail", "rm"];

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("dask-gateway-isolation-");

    public LocalBackendIsolationTests() => MakeReachable(_directory.FullName);

    private static bool IsRoot => Environment.UserName == "root";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string ClustersDirectory => Path.Combine(_directory.FullName, "clusters");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task FakeHelpersOnTheClusterPath_AreNeverRunByTheGateway()
    {
        var fakes = Directory.CreateDirectory(Path.Combine(_directory.FullName, "fake-bin")).FullName;
        var marker = CreateSharedFile(Path.Combine(_directory.FullName, "ran"));
        foreach (var helper in (string[])[.. GatewayHelpers, "sh"])
        {
            var script = Path.Combine(fakes, helper);
            await File.WriteAllTextAsync(script, $"#!/bin/sh\necho \"$(/usr/bin/id -u) {helper}\" >> {marker}\nexec /usr/bin/{helper} \"$@\"\n", Token);
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        }

        await using var tenant = await Tenant.StartAsync(ClustersDirectory, new Options(Option.Mapping("environment")));
        var path = $"{fakes}:/usr/bin:/bin";
        await tenant.RunAndFailAsync(new { environment = new Dictionary<string, string> { ["PATH"] = path } }, $"PATH={path}");

        var runs = await File.ReadAllLinesAsync(marker, Token);
        Assert.DoesNotContain(runs, run => run.StartsWith("0 ", StringComparison.Ordinal));
        Assert.DoesNotContain(runs, run => GatewayHelpers.Contains(run.Split(' ')[1]));
    }

    [Fact]
    public async Task LdPreloadInTheClusterOptions_IsNeverLoadedByTheGatewaysHelpers()
    {
        var marker = CreateSharedFile(Path.Combine(_directory.FullName, "loaded"));
        var source = Path.Combine(_directory.FullName, "record.c");
        var library = Path.Combine(_directory.FullName, "record.so");
        await File.WriteAllTextAsync(source, """
            #include <stdio.h>
            #include <unistd.h>
            __attribute__((constructor)) static void record(void)
            {
                char exe[4096];
                ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
                exe[length < 0 ? 0 : length] = 0;
                FILE *file = fopen(MARKER, "a");
                if (file) { fprintf(file, "%u %s\n", (unsigned)getuid(), exe); fclose(file); }
            }
            """, Token);
        await ThrowawayUser.RunAsync("/usr/bin/gcc", "-shared", "-fPIC", $"-DMARKER=\"{marker}\"", "-o", library, source);

        await using var tenant = await Tenant.StartAsync(ClustersDirectory, new Options(Option.Mapping("environment")));
        await tenant.RunAndFailAsync(new { environment = new Dictionary<string, string> { ["LD_PRELOAD"] = library } }, $"LD_PRELOAD={library}");

        var loads = (await File.ReadAllLinesAsync(marker, Token)).Select(line => line.Split(' ', 2)).ToList();
        Assert.Contains(loads, load => load[0] == tenant.UserId.ToString(CultureInfo.InvariantCulture));
        Assert.All(loads, load => Assert.Equal(tenant.UserId.ToString(CultureInfo.InvariantCulture), load[0]));
        Assert.DoesNotContain(loads, load => GatewayHelpers.Contains(Path.GetFileName(load[1])));
    }

    [Fact]
    public async Task LogSwappedForALinkToARootOnlyFile_NeverShowsItsContent()
    {
        // As root the secret is a file of root's that only root may read; as anyone else, /etc/shadow.
        var secret = "secret-" + Guid.NewGuid().ToString("N");
        var target = IsRoot ? Path.Combine(_directory.FullName, "root-only") : "/etc/shadow";
        if (IsRoot)
        {
            await File.WriteAllTextAsync(target, secret + "\n", Token);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var reason = await FailedWorkerReasonAsync($"for f in logs/worker-*.log; do rm -f \"$f\"; ln -s {target} \"$f\"; done; exit 3");

        Assert.DoesNotContain(secret, reason, StringComparison.Ordinal);
        Assert.DoesNotContain("the end of its log", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FifoInPlaceOfTheLog_DoesNotHangTheFailureReport()
    {
        var reason = await FailedWorkerReasonAsync("for f in logs/worker-*.log; do rm -f \"$f\"; mkfifo \"$f\"; done; exit 3");

        Assert.DoesNotContain("the end of its log", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiftyMebibyteLog_OnlyItsEndIsReadAndQuoted()
    {
        var reason = await FailedWorkerReasonAsync("yes 'filler line' | head -c 52428800; echo; for i in 1 2 3 4 5; do echo \"final line $i\"; done; exit 3");

        Assert.EndsWith("\nfinal line 1\nfinal line 2\nfinal line 3\nfinal line 4\nfinal line 5", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("filler", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinksPlantedInTheWorkingDirectory_NeitherChownNorRemovalReachTheirTarget()
    {
        var target = Directory.CreateDirectory(Path.Combine(_directory.FullName, "precious")).FullName;
        var file = Path.Combine(target, "keep.txt");
        await File.WriteAllTextAsync(file, "keep", Token);
        var owner = await ThrowawayUser.OwnerAsync(target);

        await using (var tenant = await Tenant.StartAsync(ClustersDirectory, new Options()))
        {
            var name = await tenant.Client.CreateClusterAsync();
            await tenant.WaitForStatusAsync(name, "RUNNING");
            var workdir = Path.Combine(ClustersDirectory, name);
            await tenant.PlantLinkAsync(target, Path.Combine(workdir, "logs", "planted"));
            await tenant.PlantLinkAsync(file, Path.Combine(workdir, "planted-file"));

            using (await tenant.Client.DeleteAsync($"api/v1/clusters/{name}"))
            {
            }

            await tenant.WaitForStatusAsync(name, "STOPPED");
            Assert.False(Directory.Exists(workdir));

            // A cluster directory that already exists (with a link in place of its logs) is never reused.
            const string Reused = "0123456789abcdef0123456789abcdef";
            var existing = Directory.CreateDirectory(Path.Combine(ClustersDirectory, Reused)).FullName;
            await tenant.GiveToUserAsync(existing);
            await tenant.PlantLinkAsync(target, Path.Combine(existing, "logs"));
            var backend = tenant.Gateway.Backend<LocalBackend>();
            var cluster = new ClusterInfo(Reused, tenant.UserName, "token", new LocalClusterConfig(), "", "", "", "", []);
            await using var start = backend.StartClusterAsync(cluster, Token).GetAsyncEnumerator(Token);
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => start.MoveNextAsync().AsTask());
            Assert.Contains("already exists", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal("keep", await File.ReadAllTextAsync(file, Token));
        Assert.Equal(owner, await ThrowawayUser.OwnerAsync(target));
        Assert.Equal(owner, await ThrowawayUser.OwnerAsync(file));
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName));
    }

    [Fact]
    public async Task RootSystemAndNumericAccounts_AreRefusedWhenTheClusterIsRequested()
    {
        (string Name, string Reason)[] refusals =
        [
            ("root", "it is the superuser"),
            ("daemon", "its uid 1 is a system account's (below LocalBackend.MinimumUid, 1000)"),
            ("0", "cannot be an operating-system user name"),
            ("../root", "cannot be an operating-system user name"),
            ("-u0", "cannot be an operating-system user name"),
        ];

        // The backend's answer itself, which needs no root.
        var backend = new LocalBackend();
        foreach (var (name, reason) in refusals)
        {
            Assert.Contains(reason, await backend.GetRefusalReasonAsync(new User(name), Token), StringComparison.Ordinal);
        }

        if (!IsRoot)
        {
            return;
        }

        await using var gateway = await TestGateway.StartAsync(("DaskGateway.BackendClass", "local"), ("LocalBackend.ClustersDirectory", ClustersDirectory));
        foreach (var (name, reason) in refusals)
        {
            using var client = gateway.Client(name);
            using var response = await client.PostJsonAsync("api/v1/clusters/", new { cluster_options = new { } });
            Assert.Contains(reason, await GatewayClient.ReadErrorAsync(response, HttpStatusCode.Forbidden), StringComparison.Ordinal);
        }

        Assert.Empty(gateway.Registry.All);
        Assert.False(Directory.Exists(ClustersDirectory));
    }

    /// <summary>Runs a cluster whose worker is <paramref name="script"/>; returns the reason given when it exited with code 3.</summary>
    private async Task<string> FailedWorkerReasonAsync(string script)
    {
        var options = new Options(
            Option.String("worker_script", ""),
            handler: values => new Dictionary<string, object?> { ["worker_cmd"] = new[] { "/bin/sh", "-c", values.GetString("worker_script") } });
        await using var tenant = await Tenant.StartAsync(ClustersDirectory, options);
        var name = await tenant.Client.CreateClusterAsync(new { worker_script = script });
        await tenant.WaitForStatusAsync(name, "RUNNING");
        using (await tenant.Client.PostJsonAsync($"api/v1/clusters/{name}/scale", new { count = 1 }))
        {
        }

        string? reason = null;
        await Eventually.WaitUntilAsync(
            () =>
            {
                reason = tenant.Events(name).FirstOrDefault(message => message.Contains("exited with code 3", StringComparison.Ordinal));
                return reason is not null;
            },
            "the worker's exit is reported",
            60);
        return reason!;
    }

    private static string CreateSharedFile(string path)
    {
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        return path;
    }

    private static void MakeReachable(string directory) => File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);

    /// <summary>A gateway running clusters as a throwaway account (as root), else as the gateway's own user.</summary>
    private sealed class Tenant : IAsyncDisposable
    {
        private readonly ThrowawayUser? _account;

        private Tenant(ThrowawayUser? account, TestGateway gateway)
        {
            _account = account;
            Gateway = gateway;
            UserName = account?.Name ?? "alice";
            Client = gateway.Client(UserName);
        }

        public TestGateway Gateway { get; }

        public GatewayClient Client { get; }

        public string UserName { get; }

        public uint UserId => _account?.UserId ?? NativeMethods.GetEffectiveUserId();

        public static async Task<Tenant> StartAsync(string clustersDirectory, Options options)
        {
            var account = IsRoot ? await ThrowawayUser.CreateAsync() : null;
            try
            {
                var gateway = await TestGateway.StartAsync(
                    ("DaskGateway.BackendClass", IsRoot ? "local" : "unsafe-local"),
                    ("DBBackendBase.ClusterHeartbeatPeriod", 1),
                    ("DBBackendBase.ClusterStatusPeriod", 1),
                    ("DBBackendBase.WorkerStatusPeriod", 1),
                    ("LocalBackend.ClustersDirectory", clustersDirectory),
                    ("LocalBackend.SigintTimeout", 3),
                    ("ClusterConfig.WorkerMemory", "512M"),
                    ("Backend.ClusterOptions", options));
                return new Tenant(account, gateway);
            }
            catch
            {
                if (account is not null)
                {
                    await account.DisposeAsync();
                }

                throw;
            }
        }

        /// <summary>
        /// Creates a cluster with <paramref name="options"/>, checks that its scheduler got
        /// <paramref name="variable"/>, then kills the scheduler: the gateway describes the
        /// failure (reading the log) and stops the cluster (removing its directory).
        /// </summary>
        public async Task RunAndFailAsync(object options, string variable)
        {
            var name = await Client.CreateClusterAsync(options);
            await WaitForStatusAsync(name, "RUNNING");
            var pid = Gateway.Registry.All.Single().State["pid"]!.GetValue<int>();
            var environment = await File.ReadAllTextAsync($"/proc/{pid}/environ", Token);
            Assert.Contains(variable, environment.Split('\0'));

            NativeMethodsForTests.Kill(pid);
            await WaitForStatusAsync(name, "FAILED");
            Assert.Contains(Events(name), message => message.Contains("the scheduler", StringComparison.Ordinal));
        }

        /// <summary>A link made by the user (as root: owned by the throwaway account).</summary>
        public Task PlantLinkAsync(string target, string link)
        {
            File.CreateSymbolicLink(link, target);
            return GiveToUserAsync(link);
        }

        /// <summary>As root, makes <paramref name="path"/> itself (not what it may point at) the throwaway account's.</summary>
        public async Task GiveToUserAsync(string path)
        {
            if (_account is not null)
            {
                await ThrowawayUser.RunAsync("/usr/bin/chown", "--no-dereference", _account.Name, path);
            }
        }

        /// <summary>Waits for a status; when it does not come, the failure shows the cluster's events.</summary>
        public async Task WaitForStatusAsync(string name, string status)
        {
            try
            {
                await Client.WaitForStatusAsync(name, status);
            }
            catch (OperationCanceledException e)
            {
                throw new TimeoutException($"cluster {name} did not become {status}; its events: {string.Join(" | ", Events(name))}", e);
            }
        }

        public IReadOnlyList<string> Events(string name)
        {
            Assert.True(Gateway.Registry.TryGet(name, out var cluster));
            return [.. cluster.Events().Select(e => e.Message)];
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Gateway.DisposeAsync();
            if (_account is not null)
            {
                await _account.DisposeAsync();
            }
        }
    }
}
