using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace DaskGateway.Backends;

/// <summary>
/// Starts a scheduler or worker as its own session (so that stopping it reaches every process it
/// started) with its output going straight to a log file (so that it keeps running if the gateway
/// restarts), and stops it with the signal ladder of protocol.md §8.1.
/// </summary>
internal static class LocalProcess
{
    // Opens the log exclusively (set -C: it must not exist), detaches stdin, then becomes the command.
    private const string Redirect = "set -C; exec >\"$1\" 2>&1 </dev/null; shift; exec \"$@\"";

    private static readonly ConcurrentDictionary<int, Process> Children = new();

    /// <summary>Starts <paramref name="command"/>; returns its pid, which is also its process group.</summary>
    public static int Start(IReadOnlyList<string> command, string logFile, string workingDirectory, IReadOnlyDictionary<string, string> environment, UserAccount? account, Action<int> exited)
    {
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        if (account is not null)
        {
            info.ArgumentList.Add("setpriv");
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--reuid={account.UserId}"));
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"--regid={account.GroupId}"));
            info.ArgumentList.Add("--init-groups");
        }

        info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Redirect);
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add(logFile);
        foreach (var argument in command)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Exited += (_, _) => exited(process.Id);
        process.Start();
        Children[process.Id] = process;
        return process.Id;
    }

    /// <summary>The exit code of a process this gateway started and saw end, else null.</summary>
    public static int? ExitCode(int pid) =>
        Children.TryGetValue(pid, out var process) && process.HasExited ? process.ExitCode : null;

    /// <summary>
    /// SIGINT, then SIGTERM, then SIGKILL to the process group, each followed by a wait for the
    /// process to end; returns as soon as it has. A process that is already gone is a no-op.
    /// </summary>
    public static async Task StopAsync(int pid, TimeSpan interruptTimeout, TimeSpan terminateTimeout, TimeSpan killTimeout, CancellationToken cancellationToken, bool killFirst = false)
    {
        (int Signal, TimeSpan Timeout)[] ladder = killFirst
            ? [(NativeMethods.SignalKill, killTimeout)]
            : [(NativeMethods.SignalInterrupt, interruptTimeout), (NativeMethods.SignalTerminate, terminateTimeout), (NativeMethods.SignalKill, killTimeout)];
        foreach (var (signal, timeout) in ladder)
        {
            if (!NativeMethods.SignalGroup(pid, signal) || await WaitForExitAsync(pid, timeout, cancellationToken))
            {
                break;
            }
        }

        if (Children.TryRemove(pid, out var process))
        {
            process.Dispose();
        }
    }

    private static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (Children.TryGetValue(pid, out var process))
            {
                // Our own child: the runtime reaps it and tells us at once.
                await process.WaitForExitAsync(deadline.Token);
                return true;
            }

            // Started by an earlier run of the gateway: poll, briefly at first.
            var delay = TimeSpan.FromMilliseconds(5);
            while (NativeMethods.IsAlive(pid))
            {
                await Task.Delay(delay, deadline.Token);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 200));
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
