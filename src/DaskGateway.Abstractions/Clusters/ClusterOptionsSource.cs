using DaskGateway.Auth;

namespace DaskGateway.Clusters;

/// <summary>
/// Where a backend's cluster options come from: one <see cref="Options"/> for everybody, or a
/// function of the requesting user (called for every options request and every cluster creation).
/// Assign either directly: <c>c.Backend.ClusterOptions = new Options(...)</c>.
/// </summary>
public sealed class ClusterOptionsSource
{
    private readonly Func<User, ValueTask<Options>> _factory;

    private readonly string _description;

    private ClusterOptionsSource(Func<User, ValueTask<Options>> factory, string description)
    {
        _factory = factory;
        _description = description;
    }

    /// <summary>No options: users can set nothing.</summary>
    public static ClusterOptionsSource Empty { get; } = FromOptions(new Options());

    /// <summary>The same options for every user.</summary>
    public static ClusterOptionsSource FromOptions(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(_ => ValueTask.FromResult(options), options.Fields.Count == 0 ? "no options" : $"options {string.Join(", ", options.Fields.Select(f => f.Field))}");
    }

    /// <summary>Options chosen per user.</summary>
    public static ClusterOptionsSource FromFunction(Func<User, Options> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new(user => ValueTask.FromResult(factory(user)), "a function of the user");
    }

    /// <summary>Options chosen per user, asynchronously.</summary>
    public static ClusterOptionsSource FromFunction(Func<User, Task<Options>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new(user => new ValueTask<Options>(factory(user)), "an asynchronous function of the user");
    }

    /// <summary>The same options for every user.</summary>
    public static implicit operator ClusterOptionsSource(Options options) => FromOptions(options);

    /// <summary>Options chosen per user.</summary>
    public static implicit operator ClusterOptionsSource(Func<User, Options> factory) => FromFunction(factory);

    /// <summary>Options chosen per user, asynchronously.</summary>
    public static implicit operator ClusterOptionsSource(Func<User, Task<Options>> factory) => FromFunction(factory);

    /// <summary>Describes the source, for help texts and logs.</summary>
    public override string ToString() => _description;

    /// <summary>The options for <paramref name="user"/>.</summary>
    public ValueTask<Options> GetAsync(User user) => _factory(user);
}
