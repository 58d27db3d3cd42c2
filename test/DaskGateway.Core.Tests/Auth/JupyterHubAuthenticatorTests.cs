using DaskGateway.Auth;
using Microsoft.AspNetCore.Http;

namespace DaskGateway.Tests.Auth;

public sealed class JupyterHubAuthenticatorTests
{
    [Theory]
    [InlineData("alice", "user", "alice")]
    [InlineData("a:b", "user", "user:a:b")]
    [InlineData("dask-gateway", "service", "service:dask-gateway")]
    public void UserNames_FollowUpstream(string name, string kind, string expected) =>
        Assert.Equal(expected, JupyterHubAuthenticator.UserName(name, kind));

    [Theory]
    [InlineData("http://hub:8081/hub/api", "/hub/api/user")]
    [InlineData("http://hub:8081/hub/api/", "/hub/api/user")]
    [InlineData("https://h/@/space%20word/hub/api", "/@/space%20word/hub/api/user")]
    [InlineData("http://h/%41%2F/api", "/%41%2F/api/user")]
    public void TheUserUrl_KeepsTheApiUrlVerbatim(string apiUrl, string requestPath) =>
        Assert.Equal(requestPath, JupyterHubAuthenticator.UserUrl(apiUrl).PathAndQuery);

    [Fact]
    public async Task WithoutSetup_OnlyTheSchemeIsChecked()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Basic YWxpY2U6cHc=";

        Assert.Null(await new JupyterHubAuthenticator().AuthenticateAsync(new AuthenticationRequest(context), TestContext.Current.CancellationToken));
    }
}
