// Cluster options that depend on the user: members of one group may ask for more cores and memory
// per worker than everybody else. A public static member of an extension class can be used from
// the config script directly:
//
//     c.Backend.ClusterOptions = (Func<User, Options>)GroupClusterOptions.For;
using DaskGateway.Auth;
using DaskGateway.Clusters;

/// <summary>Per-user cluster options: more cores for the <see cref="PowerGroup"/>.</summary>
public static class GroupClusterOptions
{
    /// <summary>The group whose members get up to <see cref="PowerGroupMaxCores"/> cores per worker.</summary>
    public const string PowerGroup = "scientists";

    /// <summary>The most cores per worker for the power group.</summary>
    public const int PowerGroupMaxCores = 8;

    /// <summary>The most cores per worker for everybody else.</summary>
    public const int DefaultMaxCores = 2;

    /// <summary>The options <paramref name="user"/> is offered.</summary>
    public static Options For(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var maxCores = user.Groups.Contains(PowerGroup) ? PowerGroupMaxCores : DefaultMaxCores;
        return new Options(
            Option.Integer("worker_cores", 1, min: 1, max: maxCores, label: "Worker Cores"),
            Option.Float("worker_memory", 1, min: 1, max: 2 * maxCores, label: "Worker Memory (GiB)"),
            handler: (options, _) => new Dictionary<string, object?>
            {
                ["worker_cores"] = options.GetInteger("worker_cores"),
                ["worker_memory"] = (long)(options.GetFloat("worker_memory") * (1L << 30)),
            });
    }
}
