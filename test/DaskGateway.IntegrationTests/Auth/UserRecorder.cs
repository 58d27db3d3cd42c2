using System.Collections.Concurrent;
using DaskGateway.Auth;
using DaskGateway.Clusters;

namespace DaskGateway.Tests;

/// <summary>
/// Sees the <see cref="User"/> an authenticator produced, through the whole gateway: per-user
/// cluster options are asked for on <c>GET /api/v1/options</c> with the authenticated user.
/// </summary>
internal sealed class UserRecorder
{
    private readonly ConcurrentQueue<User> _users = new();

    public IReadOnlyCollection<User> Users => _users;

    /// <summary>The setting that makes the gateway report its users here.</summary>
    public (string, object?) Setting
    {
        get
        {
            Func<User, Options> record = user =>
            {
                _users.Enqueue(user);
                return new Options();
            };
            return ("Backend.ClusterOptions", record);
        }
    }
}
