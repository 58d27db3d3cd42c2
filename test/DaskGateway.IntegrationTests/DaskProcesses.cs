using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DaskGateway.Tests;

/// <summary>Looks at the real processes of a cluster and computes on it from a Python Dask client.</summary>
internal static class DaskProcesses
{
    /// <summary>Pids of live processes whose environment names the cluster (schedulers and workers get DASK_GATEWAY_CLUSTER_NAME).</summary>
    public static IReadOnlyList<int> OfCluster(string clusterName)
    {
        var marker = Encoding.ASCII.GetBytes($"DASK_GATEWAY_CLUSTER_NAME={clusterName}\0");
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
                var status = File.ReadAllText(Path.Combine(directory, "stat"));
                var zombie = status.Split(' ').ElementAtOrDefault(2) == "Z";
                if (!zombie && environment.AsSpan().IndexOf(marker) >= 0)
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return pids;
    }

    /// <summary>kill -9 every live process of the cluster: what a test leaves behind when it fails half-way.</summary>
    public static void KillAll(string clusterName)
    {
        foreach (var pid in OfCluster(clusterName))
        {
            Backends.NativeMethodsForTests.TryKill(pid);
        }
    }

    /// <summary>
    /// Runs <c>compute.py</c> with Debian's Python: connects to <paramref name="schedulerAddress"/> over
    /// TLS with the cluster's credentials and prints the result of a small computation and the worker count.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> ComputeAsync(string schedulerAddress, string certificatePem, string keyPem)
    {
        var directory = Directory.CreateTempSubdirectory("dask-client-");
        try
        {
            var certificate = Path.Combine(directory.FullName, "dask.crt");
            var key = Path.Combine(directory.FullName, "dask.pem");
            await File.WriteAllTextAsync(certificate, certificatePem);
            await File.WriteAllTextAsync(key, keyPem);
            var info = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "compute.py"));
            info.ArgumentList.Add(schedulerAddress);
            info.ArgumentList.Add(certificate);
            info.ArgumentList.Add(key);
            using var process = Process.Start(info)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await output) + (await error));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
