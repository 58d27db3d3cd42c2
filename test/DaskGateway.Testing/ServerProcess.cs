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

    public static ServerProcess Start(params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "dask-gateway-server"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory.CreateTempSubdirectory("dask-gateway-cli-").FullName,
        };
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
