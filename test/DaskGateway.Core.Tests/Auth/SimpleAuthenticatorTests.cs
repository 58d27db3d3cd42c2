using System.Text;
using DaskGateway.Auth;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Tests.Auth;

public sealed class SimpleAuthenticatorTests
{
    private static AuthenticationRequest Request(string? authorization)
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        return new AuthenticationRequest(context);
    }

    private static string Basic(string credentials) => "Basic " + Convert.ToBase64String(Encoding.Latin1.GetBytes(credentials));

    [Fact]
    public async Task AnyPassword_IsAcceptedWithoutASharedPassword()
    {
        var user = await new SimpleAuthenticator().AuthenticateAsync(Request(Basic("alice@non-alpha.characters:")), TestContext.Current.CancellationToken);

        Assert.Equal("alice@non-alpha.characters", user!.Name);
        Assert.False(user.Admin);
        Assert.Empty(user.Groups);
    }

    [Fact]
    public async Task SharedPassword_MustMatch()
    {
        var authenticator = new SimpleAuthenticator { Password = "s3cret" };

        Assert.Equal("bob", (await authenticator.AuthenticateAsync(Request(Basic("bob:s3cret")), TestContext.Current.CancellationToken))!.Name);
        await Assert.ThrowsAsync<AuthenticationException>(() => authenticator.AuthenticateAsync(Request(Basic("bob:wrong")), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<AuthenticationException>(() => authenticator.AuthenticateAsync(Request(Basic("bob:s3cret2")), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("Basic")]
    [InlineData("Basicxyz")]
    public async Task NoBasicCredentials_IsNoUser(string? header)
    {
        Assert.Null(await new SimpleAuthenticator().AuthenticateAsync(Request(header), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("Basic !!!notbase64")]
    [InlineData("Basic YWxpY2U=")]
    [InlineData("Basic OnBhc3N3b3Jk")]
    public async Task MalformedBasicCredentials_AreRejectedWithAReason(string header)
    {
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => new SimpleAuthenticator().AuthenticateAsync(Request(header), TestContext.Current.CancellationToken));

        Assert.StartsWith("Malformed Basic credentials", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonAsciiCredentials_AreRejected()
    {
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => new SimpleAuthenticator().AuthenticateAsync(Request(Basic("josé:pw")), TestContext.Current.CancellationToken));

        Assert.Contains("ASCII", error.Message, StringComparison.Ordinal);
    }
}
