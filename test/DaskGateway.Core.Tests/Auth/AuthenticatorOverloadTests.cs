using DaskGateway.Auth;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Tests.Auth;

/// <summary>Extensions written before the cancellable overload keep working, whichever overload they override.</summary>
public sealed class AuthenticatorOverloadTests
{
    private static AuthenticationRequest Request() => new(new DefaultHttpContext());

    [Fact]
    public async Task OneArgumentOverride_IsWhatTheCancellableOverloadCalls()
    {
        var user = await new OneArgumentAuthenticator().AuthenticateAsync(Request(), TestContext.Current.CancellationToken);

        Assert.Equal("legacy", user!.Name);
    }

    [Fact]
    public async Task CancellableOverride_IsWhatTheOneArgumentOverloadCalls()
    {
        var authenticator = new CancellableAuthenticator();
#pragma warning disable xUnit1051 // The overload without a token is the one under test.
        var user = await authenticator.AuthenticateAsync(Request());
#pragma warning restore xUnit1051

        Assert.Equal("cancellable", user!.Name);
        Assert.Equal(CancellationToken.None, authenticator.Received);
    }

    [Fact]
    public async Task CancellableOverride_GetsTheCallersToken()
    {
        using var cancellation = new CancellationTokenSource();
        var authenticator = new CancellableAuthenticator();

        await authenticator.AuthenticateAsync(Request(), cancellation.Token);

        Assert.Equal(cancellation.Token, authenticator.Received);
    }

    [Fact]
    public async Task NeitherOverridden_SaysWhichToOverride()
    {
        var authenticator = new NoAuthenticateAuthenticator();

        var error = await Assert.ThrowsAsync<NotImplementedException>(() => authenticator.AuthenticateAsync(Request(), TestContext.Current.CancellationToken));
#pragma warning disable xUnit1051
        await Assert.ThrowsAsync<NotImplementedException>(() => authenticator.AuthenticateAsync(Request()));
#pragma warning restore xUnit1051

        Assert.Contains(nameof(NoAuthenticateAuthenticator), error.Message, StringComparison.Ordinal);
        Assert.Contains("must override AuthenticateAsync", error.Message, StringComparison.Ordinal);
    }

    private sealed class OneArgumentAuthenticator : Authenticator
    {
#pragma warning disable CA2016 // The form of an extension that predates the token.
        public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(new User("legacy"));
#pragma warning restore CA2016
    }

    private sealed class CancellableAuthenticator : Authenticator
    {
        public CancellationToken? Received { get; private set; }

        public override Task<User?> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
        {
            Received = cancellationToken;
            return Task.FromResult<User?>(new User("cancellable"));
        }
    }

    private sealed class NoAuthenticateAuthenticator : Authenticator
    {
    }
}
