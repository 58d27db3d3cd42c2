using System.ComponentModel;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Backends;

/// <summary>
/// The base class of every backend (local processes, Slurm, PBS, Kubernetes). Settings declared
/// here apply to every backend: <c>c.Backend.ClusterOptions = new Options(...)</c>.
/// </summary>
public abstract class Backend
{
    /// <summary>The cluster options users may set, or a function of the user that returns them.</summary>
    [Description("Cluster options users may set: an Options object, or a function of the User returning one.")]
    public ClusterOptionsSource ClusterOptions { get; set; } = ClusterOptionsSource.Empty;

    /// <summary>The cluster config class instantiated for every new cluster.</summary>
    [Description("The cluster config class used for new clusters.")]
    [ClassSetting(typeof(ClusterConfig))]
    public virtual Type ClusterConfigClass { get; set; } = typeof(ClusterConfig);

    /// <summary>
    /// Why <paramref name="user"/> may not have clusters on this backend, or null when they may.
    /// Asked when a cluster is requested, before anything is recorded: a reason is the answer to the
    /// request (HTTP 403 with the reason as its error), so the user learns it at once instead of
    /// from a cluster that fails later. The default accepts everyone. A backend that refuses here
    /// should still check again when it starts the cluster: accounts can change in between.
    /// </summary>
    public virtual Task<string?> GetRefusalReasonAsync(User user, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(null);

    /// <summary>Called once before the gateway serves.</summary>
    public virtual Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called once when the gateway shuts down, after clusters were handled.</summary>
    public virtual Task CleanupAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
