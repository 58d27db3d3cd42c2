namespace DaskGateway.Kubernetes.Fake;

/// <summary>How the simulated kubelet paces pods.</summary>
public sealed class SimulatedKubeletOptions
{
    /// <summary>How long a new pod stays Pending before its containers run.</summary>
    public TimeSpan StartDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// How long a running pod stays not ready (as while a readiness probe has not yet passed); zero makes pods
    /// ready as soon as they run.
    /// </summary>
    public TimeSpan ReadyDelay { get; init; } = TimeSpan.Zero;

    /// <summary>The node every pod is placed on.</summary>
    public string NodeName { get; init; } = "fake-node";
}
