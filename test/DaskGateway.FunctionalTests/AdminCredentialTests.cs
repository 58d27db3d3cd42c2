using DaskGateway.Auth;
using DaskGateway.Tests.Proxy;

namespace DaskGateway.Tests;

/// <summary>Admins may see and stop every cluster, but never receive another user's cluster key.</summary>
public sealed class AdminCredentialTests
{
    private static readonly string[] ClusterKeys = ["name", "dashboard_route", "status", "start_time", "stop_time", "options", "tls_cert", "tls_key"];

    [Fact]
    public async Task Admin_CannotTakeAnotherUsersClusterKey_FromGetWaitOrList()
    {
        await using var gateway = await ProxyFixtures.StartAsync(("DaskGateway.AuthenticatorClass", typeof(AdminsByNameAuthenticator)));
        using var alice = gateway.Client("alice");
        using var admin = gateway.Client(AdminsByNameAuthenticator.AdminName);
        var (name, owned, _) = await ProxyFixtures.RunningClusterAsync(alice);
        var (adminsOwn, adminsDict, _) = await ProxyFixtures.RunningClusterAsync(admin);

        var viewed = new[]
        {
            await admin.GetJsonAsync($"api/v1/clusters/{name}"),
            await admin.GetJsonAsync($"api/v1/clusters/{name}?wait"),
        };
        var listed = (await admin.GetJsonAsync("api/v1/clusters/?status=running")).AsObject();

        foreach (var dict in viewed)
        {
            Assert.Equal(ClusterKeys, dict.AsObject().Select(p => p.Key));
            Assert.Equal("RUNNING", (string?)dict["status"]);
            Assert.Null(dict["tls_cert"]);
            Assert.Null(dict["tls_key"]);
        }

        foreach (var (_, dict) in listed)
        {
            Assert.Equal(ClusterKeys, dict!.AsObject().Select(p => p.Key));
            Assert.Equal((string?)dict["name"] == adminsOwn, dict["tls_key"] is not null);
        }

        // Owners, the admin for their own cluster included, still get their credentials.
        Assert.NotNull(owned["tls_key"]);
        Assert.NotNull(adminsDict["tls_key"]);
        Assert.Equal((string?)owned["tls_key"], (string?)(await alice.GetJsonAsync($"api/v1/clusters/{name}"))["tls_key"]);
    }

    /// <summary>Any Basic user name, as the simple authenticator; <see cref="AdminName"/> is an admin.</summary>
    public sealed class AdminsByNameAuthenticator : Authenticator
    {
        public const string AdminName = "operator";

        public override Task<User?> AuthenticateAsync(AuthenticationRequest request)
        {
            ArgumentNullException.ThrowIfNull(request);
            return Task.FromResult(AuthorizationHeader.TryGetBasicCredentials(request.Headers.Authorization.ToString(), out var userName, out _)
                ? new User(userName, Admin: userName == AdminName)
                : null);
        }
    }
}
