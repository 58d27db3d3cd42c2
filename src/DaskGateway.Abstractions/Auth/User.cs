namespace DaskGateway.Auth;

/// <summary>An authenticated user of the gateway.</summary>
/// <param name="Name">The user name; clusters are owned by this name.</param>
/// <param name="Groups">The groups the user belongs to, if the authenticator knows them.</param>
/// <param name="Admin">Whether the user may see and stop every user's clusters.</param>
public sealed record User(string Name, IReadOnlySet<string>? Groups = null, bool Admin = false)
{
    private static readonly IReadOnlySet<string> NoGroups = new HashSet<string>();

    /// <summary>The user's groups; empty when the authenticator reported none.</summary>
    public IReadOnlySet<string> Groups { get; init; } = Groups ?? NoGroups;
}
