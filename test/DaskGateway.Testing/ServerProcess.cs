using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>The real <c>dask-gateway-server</c> executable, run as a child process.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<(Uri Public, Uri Private)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Uri> _proxyListening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>The working directory it runs in (a new temporary directory unless given).</summary>
    public string WorkingDirectory => _process.StartInfo.WorkingDirectory;

    public static ServerProcess Start(params string[] arguments) => StartIn(null, null, arguments);

    /// <summary>
    /// Starts the server in <paramref name="workingDirectory"/> (a new temporary directory when null)
    /// with extra environment variables (null removes one). DASK_GATEWAY_EXTENSION_PATHS and
    /// DASK_GATEWAY_COMPILE_CACHE are removed unless given.
    /// </summary>
    public static ServerProcess StartIn(string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "dask-gateway-server"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("dask-gateway-cli-").FullName,
        };
        info.Environment.Remove("DASK_GATEWAY_EXTENSION_PATHS");
        info.Environment.Remove("DASK_GATEWAY_COMPILE_CACHE");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnError(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Whether the process has mapped a file whose path contains <paramref name="name"/> (Linux: /proc/PID/maps).</summary>
    public bool HasMapped(string name) =>
        File.ReadLines($"/proc/{_process.Id}/maps").Any(line => line.Contains(name, StringComparison.Ordinal));

    /// <summary>Waits for the line that names both listening addresses.</summary>
    public Task<(Uri Public, Uri Private)> WaitUntilListeningAsync() =>
        _listening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

    /// <summary>Waits for the line of <c>dask-gateway-server proxy</c> that names its public address.</summary>
    public Task<Uri> WaitUntilProxyListeningAsync() =>
        _proxyListening.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _listening.TrySetException(new InvalidOperationException("The server exited before listening: " + StandardError));
            _proxyListening.TrySetException(new InvalidOperationException("The proxy exited before listening: " + StandardError));
            return;
        }

        lock (_stdout)
        {
            _stdout.AppendLine(line);
        }

        var match = ListeningLine().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult((new Uri(match.Groups["public"].Value), new Uri(match.Groups["private"].Value)));
        }

        var proxy = ProxyListeningLine().Match(line);
        if (proxy.Success)
        {
            _proxyListening.TrySetResult(new Uri(proxy.Groups["public"].Value));
        }
    }

    private void OnError(string? line)
    {
        lock (_stderr)
        {
            _stderr.AppendLine(line);
        }
    }

    [GeneratedRegex(@"listening: public (?<public>\S+), private API (?<private>\S+)$")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"proxy \S+ listening: public (?<public>[^\s,;]+)")]
    private static partial Regex ProxyListeningLine();
}
