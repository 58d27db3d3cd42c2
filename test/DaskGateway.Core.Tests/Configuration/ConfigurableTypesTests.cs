using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class ConfigurableTypesTests
{
    private static readonly Type AuthBase = typeof(TestAuthenticatorBase);

    [Fact]
    public void Register_MakesBaseClassesSectionsToo()
    {
        var types = new ConfigurableTypes();
        types.Register(typeof(TestUnsafeBackend));
        types.Register(typeof(TestUnsafeBackend));

        Assert.Equal([typeof(TestUnsafeBackend)], types.Types);
        Assert.Equal([typeof(TestBackend), typeof(TestLocalBackend), typeof(TestUnsafeBackend)], types.SectionTypes);
    }

    [Fact]
    public void Register_RejectsWhatIsNotAClass()
    {
        var types = new ConfigurableTypes();
        Assert.Throws<ArgumentException>(() => types.Register(typeof(int)));
        Assert.Throws<ArgumentException>(() => types.Register(typeof(IDisposable)));
        Assert.Throws<ArgumentException>(() => types.Register(typeof(List<>)));
    }

    [Fact]
    public void SectionName_IsTheConfigSectionOrTheShortName()
    {
        Assert.Equal("Local", ConfigurableTypes.SectionName(typeof(TestLocalBackend)));
        Assert.Equal("TestUnsafeBackend", ConfigurableTypes.SectionName(typeof(TestUnsafeBackend)));
    }

    [Fact]
    public void TryGetSectionTypes_FindsRegisteredClassesAndBases()
    {
        var types = TestSetup.Types();

        Assert.True(types.TryGetSectionTypes("TestAuthenticatorBase", out var bases));
        Assert.Equal([AuthBase], bases);
        Assert.True(types.TryGetSectionTypes("Local", out var local));
        Assert.Equal([typeof(TestLocalBackend)], local);
        Assert.False(types.TryGetSectionTypes("TestLocalBackend", out _));
        Assert.False(types.TryGetSectionTypes("local", out _));
    }

    [Theory]
    [InlineData("simple", typeof(TestSimpleAuthenticator))]
    [InlineData("SIMPLE", typeof(TestSimpleAuthenticator))]
    [InlineData("dask_gateway_server.auth.SimpleAuthenticator", typeof(TestSimpleAuthenticator))]
    [InlineData("DaskGateway.Tests.Configuration.TestKerberosAuthenticator", typeof(TestKerberosAuthenticator))]
    [InlineData("daskgateway.tests.configuration.testkerberosauthenticator", typeof(TestKerberosAuthenticator))]
    [InlineData("TestSimpleAuthenticator", typeof(TestSimpleAuthenticator))]
    [InlineData(" testsimpleauthenticator ", typeof(TestSimpleAuthenticator))]
    public void TryResolveClass_ByAliasFullNameOrShortName(string name, Type expected)
    {
        var types = TestSetup.Types();

        Assert.True(types.TryResolveClass(name, AuthBase, out var type, out var error), error);
        Assert.Equal(expected, type);
    }

    [Fact]
    public void TryResolveClass_UnknownName_SuggestsTheClosest()
    {
        Assert.False(TestSetup.Types().TryResolveClass("TestSimpelAuthenticator", AuthBase, out var type, out var error));

        Assert.Null(type);
        Assert.Equal(
            "unknown class 'TestSimpelAuthenticator' (expected a subclass of TestAuthenticatorBase). Did you mean 'TestSimpleAuthenticator' or 'TestKerberosAuthenticator'?",
            error);
        Assert.False(TestSetup.Types().TryResolveClass("simpel", AuthBase, out _, out error));
        Assert.EndsWith("Did you mean 'simple'?", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryResolveClass_NothingClose_ListsTheKnownClasses()
    {
        Assert.False(TestSetup.Types().TryResolveClass("ldap", AuthBase, out _, out var error));

        Assert.Equal(
            "unknown class 'ldap' (expected a subclass of TestAuthenticatorBase). Known classes: TestSimpleAuthenticator, TestKerberosAuthenticator",
            error);
    }

    [Fact]
    public void TryResolveClass_NotASubclass_IsAnError()
    {
        Assert.False(TestSetup.Types().TryResolveClass("TestBackend", AuthBase, out _, out var error));

        Assert.Equal("'TestBackend' is not a subclass of TestAuthenticatorBase", error);
    }

    [Fact]
    public void TryResolveClass_AbstractClass_IsAnError()
    {
        Assert.False(TestSetup.Types().TryResolveClass("TestAuthenticatorBase", AuthBase, out _, out var error));

        Assert.Equal("'TestAuthenticatorBase' is abstract: name a concrete subclass of TestAuthenticatorBase", error);
    }

    [Fact]
    public void TryResolveClass_Ambiguous_ListsTheCandidates()
    {
        var types = TestSetup.Types();
        types.Register(typeof(Other.TestKerberosAuthenticator));

        Assert.False(types.TryResolveClass("TestKerberosAuthenticator", AuthBase, out _, out var error));
        Assert.Equal(
            "'TestKerberosAuthenticator' is ambiguous: it could be DaskGateway.Tests.Configuration.Other.TestKerberosAuthenticator, DaskGateway.Tests.Configuration.TestKerberosAuthenticator",
            error);
        Assert.True(types.TryResolveClass("DaskGateway.Tests.Configuration.Other.TestKerberosAuthenticator", AuthBase, out var type, out _));
        Assert.Equal(typeof(Other.TestKerberosAuthenticator), type);
    }
}
