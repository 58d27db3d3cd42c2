using System.ComponentModel;
using System.Diagnostics;

namespace DaskGateway.Tests;

/// <summary>The result of a program run to completion.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;
}

/// <summary>Runs an external program with a time limit; on timeout its whole process tree is killed.</summary>
internal static class ExternalCommand
{
    public static async Task<CommandResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        int timeoutSeconds = 60)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run {program}: {e.Message} (scripts/lib/prerequisites.sh installs what the tests need)", e);
        }

        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
            }

            process.StandardInput.Close();
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {timeoutSeconds} s: {await output}{await error}");
            }

            return new CommandResult(process.ExitCode, await output, await error);
        }
    }

    /// <summary>Runs a script of <c>test/infra</c> (copied next to the tests) with bash.</summary>
    public static Task<CommandResult> RunInfraScriptAsync(string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, int timeoutSeconds) =>
        RunAsync("/bin/bash", [Path.Combine(AppContext.BaseDirectory, "infra", script), .. arguments], environment, timeoutSeconds: timeoutSeconds);

    /// <summary>Reads the <c>export NAME=VALUE</c> lines the infra scripts print (bash <c>printf %q</c> quoting).</summary>
    public static Dictionary<string, string> ParseExports(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (!line.StartsWith("export ", StringComparison.Ordinal) || equals < 0)
            {
                continue;
            }

            var value = line[(equals + 1)..];
            Assert.False(value.StartsWith("$'", StringComparison.Ordinal), "unexpected quoting in " + line);
            var text = new System.Text.StringBuilder();
            for (var i = 0; i < value.Length; i++)
            {
                text.Append(value[i] == '\\' && i + 1 < value.Length ? value[++i] : value[i]);
            }

            values[line["export ".Length..equals]] = text.ToString();
        }

        return values;
    }
}
