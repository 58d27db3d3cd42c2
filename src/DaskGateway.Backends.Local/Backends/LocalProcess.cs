using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DaskGateway.Backends;

/// <summary>
/// Starts a scheduler or worker as its own session (so that stopping it reaches every process it
/// started) with its output going straight to a log file (so that it keeps running if the gateway
/// restarts), and stops it with the signal ladder of protocol.md §8.1; runs the short helpers the
/// backend needs (account look-ups, reading a log, removing a working directory).
/// </summary>
/// <remarks>
/// The gateway may be root while the cluster's environment and working directory belong to a user.
/// So every program is named by its absolute path and starts with <see cref="TrustedPath"/> as its
/// whole environment in <c>/</c>; the cluster's environment and directory are applied only by the
/// user's own shell, after <c>setpriv</c> has switched to the user. The environment travels on that
/// shell's standard input, not on a command line, because every local user can read command lines.
/// </remarks>
internal static class LocalProcess
{
    public const string Setsid = "/usr/bin/setsid";
    public const string Setpriv = "/usr/bin/setpriv";
    public const string Env = "/usr/bin/env";
    public const string Shell = "/bin/sh";

    private const string TrustedPath = "/usr/sbin:/usr/bin:/sbin:/bin";

    // Read as one braced list, so that the whole script is parsed before stdin is replaced. The
    // log is opened exclusively (set -C: it must not exist) by the user's shell, then it becomes the command.
    private const string LaunchScriptEnd = "set -C\nexec >\"$1\" 2>&1 </dev/null\nshift\nexec \"$@\"\n}\n";

    private static readonly ConcurrentDictionary<int, Process> Children = new();

    /// <summary>Starts <paramref name="command"/>; returns its pid, which is also its process group.</summary>
    public static async Task<int> StartAsync(IReadOnlyList<string> command, string logFile, string workingDirectory, IReadOnlyDictionary<string, string> environment, UserAccount? account, Action<int> exited, CancellationToken cancellationToken)
    {
        var script = LaunchScript(environment);
        var info = TrustedStartInfo([Env, "-i", "-C", workingDirectory, "--", Shell, "-s", "--", logFile, .. command], account, newSession: true);
        info.RedirectStandardInput = true;
        info.StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Exited += (_, _) => exited(process.Id);
        process.Start();
        Children[process.Id] = process;
        try
        {
            await process.StandardInput.WriteAsync(script.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // It ended before reading its script (a working directory that vanished, say): its exit tells why.
        }

        return process.Id;
    }

    /// <summary>
    /// Runs a helper to completion, as <paramref name="account"/> when given: its standard output up to
    /// <paramref name="outputLimit"/> bytes (a helper that writes more is killed), and its exit code,
    /// null when it did not end within <paramref name="timeout"/> (it is then killed).
    /// </summary>
    public static async Task<HelperResult> RunHelperAsync(IReadOnlyList<string> command, UserAccount? account, int outputLimit, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = TrustedStartInfo(command, account, newSession: false);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot run {command[0]}");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var output = ReadAtMostAsync(process.StandardOutput.BaseStream, outputLimit, deadline.Token);
        var error = ReadAtMostAsync(process.StandardError.BaseStream, 4096, deadline.Token);
        try
        {
            var (standardOutput, complete) = await output;
            var (standardError, _) = await error;
            if (complete)
            {
                await process.WaitForExitAsync(deadline.Token);
                return new HelperResult(process.ExitCode, standardOutput, Encoding.UTF8.GetString(standardError));
            }

            return new HelperResult(null, standardOutput, $"{command[0]} wrote more than {outputLimit} bytes");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HelperResult(null, [], $"{command[0]} did not finish within {timeout.TotalSeconds} s");
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGKILL cannot be refused; waiting for it leaves nothing of the helper behind.
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
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

    /// <summary>
    /// The shell script that sets the command's environment: <c>export NAME='value'</c> lines (a
    /// single quote in a value becomes <c>'\''</c>). Names must be shell names, values free of NUL.
    /// </summary>
    internal static string LaunchScript(IReadOnlyDictionary<string, string> environment)
    {
        var script = new StringBuilder("{\n");
        foreach (var (name, value) in environment)
        {
            if (!IsShellName(name))
            {
                throw new InvalidOperationException($"the environment variable name '{name}' is not allowed: use letters, digits and '_', not starting with a digit");
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"the value of the environment variable {name} contains a NUL character");
            }

            script.Append(CultureInfo.InvariantCulture, $"export {name}='{value.Replace("'", "'\\''", StringComparison.Ordinal)}'\n");
        }

        return script.Append(LaunchScriptEnd).ToString();
    }

    private static bool IsShellName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>
    /// A start of <paramref name="command"/> (its program an absolute path) in <c>/</c> with only a
    /// fixed PATH, as <paramref name="account"/> when one is given, in a new session if asked.
    /// </summary>
    private static ProcessStartInfo TrustedStartInfo(IEnumerable<string> command, UserAccount? account, bool newSession)
    {
        List<string> arguments = newSession ? [Setsid] : [];
        if (account is not null)
        {
            arguments.AddRange([
                Setpriv,
                string.Create(CultureInfo.InvariantCulture, $"--reuid={account.UserId}"),
                string.Create(CultureInfo.InvariantCulture, $"--regid={account.GroupId}"),
                "--init-groups"]);
        }

        arguments.AddRange(command);
        if (!Path.IsPathRooted(arguments[0]))
        {
            throw new ArgumentException($"programs are run by absolute path, not '{arguments[0]}'", nameof(command));
        }

        var info = new ProcessStartInfo(arguments[0]) { UseShellExecute = false, WorkingDirectory = "/" };
        info.Environment.Clear();
        info.Environment["PATH"] = TrustedPath;
        foreach (var argument in arguments.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static async Task<(byte[] Bytes, bool Complete)> ReadAtMostAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        return length > limit ? (buffer[..limit], false) : (buffer[..length], true);
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

/// <summary>What a helper program did: its exit code (null when it was killed), its output, and its errors or why it was killed.</summary>
internal sealed record HelperResult(int? ExitCode, byte[] StandardOutput, string StandardError);
