using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class ValidateTests
{
    private static string Validate(GatewayConfig config)
    {
        var errors = new ConfigErrors();
        new SettingsBinder(config, TestSetup.Types()).Validate(errors);
        return TestSetup.Messages(errors);
    }

    private static GatewayConfig Config(params (string Section, string Setting)[] settings)
    {
        var config = new GatewayConfig();
        var line = 1;
        foreach (var (section, setting) in settings)
        {
            config.Set(section, setting, "x", SettingSource.File("c.csx", line++));
        }

        return config;
    }

    [Fact]
    public void KnownSectionsAndSettings_AreValid()
    {
        Assert.Equal("", Validate(Config(
            ("TestBackend", "Address"),
            ("TestBackend", "db_url"),
            ("TestBackend", "listen"),
            ("TestBackend", "ADDRESS"),
            ("Local", "Address"),
            ("Local", "sigint_timeout"),
            ("TestUnsafeBackend", "SigintTimeout"),
            ("TestOtherBackend", "Queue"),
            ("TestAuthenticatorBase", "Realm"),
            ("TestSimpleAuthenticator", "Realm"))));
    }

    [Fact]
    public void UnknownSection_SuggestsTheClosest_OncePerSection()
    {
        Assert.Equal(
            """
            c.csx:1: Unknown section 'TestBakend'. Did you mean 'TestBackend'?
            c.csx:3: Unknown section 'local'. Did you mean 'Local'?
            c.csx:4: Unknown section 'Zzzz'.
            """.ReplaceLineEndings("\n").TrimEnd(),
            Validate(Config(("TestBakend", "Address"), ("TestBakend", "Parallelism"), ("local", "Address"), ("Zzzz", "A"))));
    }

    [Fact]
    public void UnknownSetting_SuggestsTheClosest()
    {
        Assert.Equal(
            """
            c.csx:1: Unknown setting 'Adress' in section 'TestBackend'. Did you mean 'Address'?
            c.csx:2: Unknown setting 'db_ulr' in section 'Local'. Did you mean 'db_url'?
            c.csx:3: Unknown setting 'Paralelism' in section 'TestUnsafeBackend'. Did you mean 'Parallelism'?
            """.ReplaceLineEndings("\n").TrimEnd(),
            Validate(Config(("TestBackend", "Adress"), ("Local", "db_ulr"), ("TestUnsafeBackend", "Paralelism"))));
    }

    [Fact]
    public void UnknownSetting_NothingClose_ListsTheSettingsOfASmallSection()
    {
        Assert.Equal(
            """
            c.csx:1: Unknown setting 'Zzzzzz' in section 'TestSimpleAuthenticator'. Known settings: Realm, Password
            c.csx:2: Unknown setting 'Zzzzzz' in section 'TestBackend'.
            """.ReplaceLineEndings("\n").TrimEnd(),
            Validate(Config(("TestSimpleAuthenticator", "Zzzzzz"), ("TestBackend", "Zzzzzz"))));
    }

    [Fact]
    public void SettingOfASubclass_IsUnknownInTheBaseSection()
    {
        Assert.Equal(
            "c.csx:1: Unknown setting 'Queue' in section 'TestBackend'.",
            Validate(Config(("TestBackend", "Queue"))));
        Assert.Equal(
            "c.csx:1: Unknown setting 'Keytab' in section 'TestAuthenticatorBase'. Known settings: Realm",
            Validate(Config(("TestAuthenticatorBase", "Keytab"))));
    }

    [Fact]
    public void IgnoredAndReadOnlyProperties_AreNotSettings()
    {
        Assert.Equal(
            """
            c.csx:1: Unknown setting 'Ignored' in section 'TestBackend'.
            c.csx:2: Unknown setting 'ReadOnlyCount' in section 'TestBackend'.
            c.csx:3: Unknown setting 'Secret' in section 'Local'.
            """.ReplaceLineEndings("\n").TrimEnd(),
            Validate(Config(("TestBackend", "Ignored"), ("TestBackend", "ReadOnlyCount"), ("Local", "Secret"))));
    }

    [Fact]
    public void EveryProblem_IsReportedTogether()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "Address", 12, SettingSource.File("dask_gateway_config.csx", 4));
        config.Set("TestBackend", "WorkerMemory", "2GB", SettingSource.File("dask_gateway_config.csx", 5));
        config.Set("Local", "Parallelism", "many", SettingSource.CommandLine("--Local.Parallelism=many"));
        config.Set("Proxi", "Address", ":9000", SettingSource.File("dask_gateway_config.csx", 6));
        config.Set("TestBackend", "Adress", ":9000", SettingSource.File("dask_gateway_config.csx", 7));
        var errors = new ConfigErrors();
        var binder = new SettingsBinder(config, TestSetup.Types());

        binder.Validate(errors);
        binder.Create<TestBackend>(typeof(TestLocalBackend), errors);
        var exception = Assert.Throws<ConfigurationException>(errors.ThrowIfAny);

        Assert.Equal(
            """
            Configuration has 5 error(s):
              dask_gateway_config.csx:6: Unknown section 'Proxi'.
              dask_gateway_config.csx:7: Unknown setting 'Adress' in section 'TestBackend'. Did you mean 'Address'?
              dask_gateway_config.csx:4: TestBackend.Address: expected a string, got 12
              dask_gateway_config.csx:5: TestBackend.WorkerMemory: expected a memory size, got '2GB': '2GB' is not a memory size: use bytes as a number, or a number followed by K, M, G or T (e.g. '2 G', '1.5G', '512M')
              command line (--Local.Parallelism=many): Local.Parallelism: expected an integer, got 'many'
            """.ReplaceLineEndings("\n"),
            exception.Message);
    }
}
