namespace DaskGateway.Tests.Configuration.Other;

/// <summary>Shares its short name with the one in the parent namespace (class name ambiguity).</summary>
internal sealed class TestKerberosAuthenticator : DaskGateway.Tests.Configuration.TestAuthenticatorBase
{
}
