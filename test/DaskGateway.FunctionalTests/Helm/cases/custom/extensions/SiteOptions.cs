// Cluster options an operator ships in extensions/gateway/ and names in extraConfig.
using DaskGateway.Auth;
using DaskGateway.Clusters;

/// <summary>The options every user is offered.</summary>
public static class SiteOptions
{
    /// <summary>Worker cores, 1 to 4.</summary>
    public static Options For(User user) =>
        new(Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
            handler: (options, _) => new Dictionary<string, object?> { ["worker_cores"] = options.GetInteger("worker_cores") });
}
