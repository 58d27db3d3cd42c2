using System.ComponentModel;
using DaskGateway.Configuration;

namespace DaskGateway.Auth;

/// <summary>
/// HTTP Basic authentication: any user name, and a password shared by everybody when
/// <see cref="Password"/> is set. Meant for trying the gateway out and for tests.
/// </summary>
[ClassAlias("simple")]
[ClassAlias("dask_gateway_server.auth.SimpleAuthenticator")]
public sealed class SimpleAuthenticator : Authenticator
{
    /// <summary>The password every user must give; when null any password is accepted.</summary>
    [Description("Password shared by all users; when None, any password is accepted.")]
    public string? Password { get; set; }

    /// <inheritdoc/>
    public override Task<User?> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!AuthorizationHeader.TryGetBasicCredentials(request.Headers.Authorization.ToString(), out var userName, out var password))
        {
            return Task.FromResult<User?>(null);
        }

        if (Password is { } expected && !AuthorizationHeader.SecretEquals(expected, password))
        {
            throw new AuthenticationException("Invalid user name or password");
        }

        return Task.FromResult<User?>(new User(userName));
    }
}
