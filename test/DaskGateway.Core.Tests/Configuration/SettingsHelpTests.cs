using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class SettingsHelpTests
{
    private static readonly string Help = SettingsHelp.Describe(TestSetup.Types());

    private static int IndexOf(string text) => Help.IndexOf(text, StringComparison.Ordinal);

    [Fact]
    public void ListsSettingsWithTypeDefaultAndDescription()
    {
        Assert.Contains(
            """
              --TestBackend.Address=<string>
                  Default: '127.0.0.1:0'
                  The address to listen on.
              --TestBackend.Parallelism=<integer>
                  Default: 20

            """.ReplaceLineEndings("\n"),
            Help,
            StringComparison.Ordinal);
        Assert.Contains(
            """
              --TestBackend.WorkerCmd=<command (a string or a list of strings)>
                  Default: ['dask-worker']
                  The worker command.
                  One argument per item.

            """.ReplaceLineEndings("\n"),
            Help,
            StringComparison.Ordinal);
        Assert.Contains("  --TestBackend.WorkerMemory=<memory size>\n      Default: 2.00 GiB\n", Help, StringComparison.Ordinal);
        Assert.Contains("  --TestBackend.ClusterMaxWorkers=<integer or None>\n      Default: None\n", Help, StringComparison.Ordinal);
        Assert.Contains(
            "  --TestBackend.AuthenticatorClass=<class deriving from TestAuthenticatorBase>\n      Default: typeof(DaskGateway.Tests.Configuration.TestSimpleAuthenticator)\n",
            Help,
            StringComparison.Ordinal);
        Assert.Contains("  --TestBackend.Environment=<mapping of strings to strings>\n      Default: {}\n", Help, StringComparison.Ordinal);
        Assert.Contains("  --TestBackend.LogLevel=<one of 'Debug', 'Info', 'Warn'>\n      Default: Info\n", Help, StringComparison.Ordinal);
    }

    [Fact]
    public void ListsEachSettingOnceUnderTheClassThatDeclaresIt()
    {
        Assert.Single(Help.Split('\n'), line => line.Contains(".Address=", StringComparison.Ordinal));
        Assert.Contains("Local (DaskGateway.Tests.Configuration.TestLocalBackend):\n  --Local.SigintTimeout=<integer>\n      Default: 10\n      Seconds to wait after SIGINT.\n", Help, StringComparison.Ordinal);
        Assert.Contains("TestUnsafeBackend (DaskGateway.Tests.Configuration.TestUnsafeBackend):\n  (no settings of its own; those of Local apply)\n", Help, StringComparison.Ordinal);
        Assert.Contains("  --TestBackend.Priority=<integer>\n      Default: 0\n      Scheduling priority.\n", Help, StringComparison.Ordinal);
        Assert.DoesNotContain("--Local.Priority", Help, StringComparison.Ordinal);
        Assert.DoesNotContain(".Secret=", Help, StringComparison.Ordinal);
        Assert.DoesNotContain("Ignored", Help, StringComparison.Ordinal);
        Assert.DoesNotContain("ReadOnlyCount", Help, StringComparison.Ordinal);
    }

    [Fact]
    public void OrdersSectionsBasesFirst_AndSettingsAsDeclared()
    {
        Assert.True(IndexOf("TestAuthenticatorBase (") < IndexOf("TestKerberosAuthenticator ("));
        Assert.True(IndexOf("TestKerberosAuthenticator (") < IndexOf("TestSimpleAuthenticator ("));
        Assert.True(IndexOf("TestSimpleAuthenticator (") < IndexOf("TestBackend ("));
        Assert.True(IndexOf("TestBackend (") < IndexOf("Local ("));
        Assert.True(IndexOf("Local (") < IndexOf("TestUnsafeBackend ("));
        Assert.True(IndexOf("TestUnsafeBackend (") < IndexOf("TestOtherBackend ("));
        Assert.True(IndexOf("--TestBackend.Address=") < IndexOf("--TestBackend.Parallelism="));
        Assert.True(IndexOf("--TestBackend.Parallelism=") < IndexOf("--TestBackend.MaxBytes="));
        Assert.True(IndexOf("--TestBackend.MaxBytes=") < IndexOf("--TestBackend.Password="));
    }

    [Fact]
    public void AbstractBase_ReadsDefaultsFromARegisteredSubclass()
    {
        Assert.Contains(
            "TestAuthenticatorBase (DaskGateway.Tests.Configuration.TestAuthenticatorBase, abstract):\n  --TestAuthenticatorBase.Realm=<string>\n      Default: 'default'\n      The realm shown to users.\n",
            Help,
            StringComparison.Ordinal);
    }

    [Fact]
    public void ClassThatCannotBeCreated_ListsSettingsWithoutDefaults()
    {
        var types = new ConfigurableTypes();
        types.Register(typeof(TestThrowingConstructor));
        types.Register(typeof(TestNoDefaultConstructor));

        Assert.Equal(
            """
            TestNoDefaultConstructor (DaskGateway.Tests.Configuration.TestNoDefaultConstructor):
              --TestNoDefaultConstructor.Name=<string>

            TestThrowingConstructor (DaskGateway.Tests.Configuration.TestThrowingConstructor):
              --TestThrowingConstructor.Name=<string>

            """.ReplaceLineEndings("\n"),
            SettingsHelp.Describe(types));
    }
}
