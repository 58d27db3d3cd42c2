using DaskGateway.Auth;

namespace DaskGateway.Tests.Auth;

public sealed class KerberosUserNameTests
{
    private static readonly HashSet<string> OwnRealm = new(StringComparer.Ordinal) { "EXAMPLE.ORG" };

    [Fact]
    public void ForeignRealmPrincipal_IsNotTakenForTheLocalUserOfTheSameName()
    {
        Assert.Equal("bob@OTHER.REALM", KerberosAuthenticator.UserName("bob@OTHER.REALM", stripRealm: true, OwnRealm));
        Assert.NotEqual(
            KerberosAuthenticator.UserName("bob@EXAMPLE.ORG", stripRealm: true, OwnRealm),
            KerberosAuthenticator.UserName("bob@OTHER.REALM", stripRealm: true, OwnRealm));
    }

    [Theory]
    [InlineData("alice@EXAMPLE.ORG", true, "alice")]
    [InlineData("alice@EXAMPLE.ORG", false, "alice@EXAMPLE.ORG")]
    [InlineData("alice@example.org", true, "alice@example.org")]
    [InlineData("svc/host@EXAMPLE.ORG", true, "svc/host")]
    [InlineData(@"first.last\@corp.com@EXAMPLE.ORG", true, @"first.last\@corp.com")]
    [InlineData("alice", true, "alice")]
    [InlineData("@EXAMPLE.ORG", true, "")]
    public void Principals_MapToUserNames(string principal, bool stripRealm, string expected)
    {
        Assert.Equal(expected, KerberosAuthenticator.UserName(principal, stripRealm, OwnRealm));
    }
}
