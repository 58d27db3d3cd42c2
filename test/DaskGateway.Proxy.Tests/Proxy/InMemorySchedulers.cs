using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Threading.Channels;
using DaskGateway.Proxy.Sni;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Proxy;

/// <summary>A dialer whose schedulers are the far ends of in-memory pipes, for driving the router without sockets.</summary>
internal sealed class InMemorySchedulers : ISchedulerDialer
{
    private readonly Channel<(string Target, IDuplexPipe Scheduler)> _dialed = Channel.CreateUnbounded<(string, IDuplexPipe)>();

    /// <summary>Dials fail (the scheduler is gone).</summary>
    public bool Unreachable { get; set; }

    /// <summary>When set, runs as the scheduler of every dialed connection (otherwise the test plays it).</summary>
    public Func<IDuplexPipe, Task>? Behavior { get; set; }

    public ConcurrentBag<Task> Running { get; } = [];

    public int Dials { get; private set; }

    public ValueTask<ProxyEndpoint?> DialAsync(string target, CancellationToken cancellationToken)
    {
        Dials++;
        if (Unreachable)
        {
            return ValueTask.FromResult<ProxyEndpoint?>(null);
        }

        var (proxySide, schedulerSide) = DuplexPipePair.Create();
        if (Behavior is { } behavior)
        {
            Running.Add(behavior(schedulerSide));
        }
        else
        {
            _dialed.Writer.TryWrite((target, schedulerSide));
        }

        return ValueTask.FromResult<ProxyEndpoint?>(new PipeEndpoint(proxySide));
    }

    /// <summary>The next connection the router dialed, with the target it dialed.</summary>
    public async Task<(string Target, IDuplexPipe Scheduler)> NextAsync() =>
        await _dialed.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
}
