using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class SettingsBinderTests
{
    private static readonly SettingSource File1 = SettingSource.File("dask_gateway_config.csx", 1);

    [Fact]
    public void Bind_NoConfiguration_KeepsDefaults()
    {
        var (backend, errors) = TestSetup.Bind<TestLocalBackend>(new GatewayConfig());

        Assert.False(errors.HasErrors);
        Assert.Equal("127.0.0.1:0", backend.Address);
        Assert.Equal(5, backend.Parallelism);
    }

    [Fact]
    public void Bind_BaseSection_ReachesSubclasses()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "Address", ":9000", File1);

        Assert.Equal(":9000", TestSetup.Bind<TestLocalBackend>(config).Target.Address);
        Assert.Equal(":9000", TestSetup.Bind<TestUnsafeBackend>(config).Target.Address);
        Assert.Equal(":9000", TestSetup.Bind<TestBackend>(config).Target.Address);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Bind_SubclassSectionWins_WhateverTheRecordingOrder(bool baseFirst)
    {
        var config = new GatewayConfig();
        if (baseFirst)
        {
            config.Set("TestBackend", "Parallelism", 1, File1);
        }

        config.Set("Local", "Parallelism", 2, File1);
        config.Set("Local", "SigintTimeout", 3, File1);
        if (!baseFirst)
        {
            config.Set("TestBackend", "Parallelism", 1, File1);
        }

        Assert.Equal(2, TestSetup.Bind<TestLocalBackend>(config).Target.Parallelism);
        Assert.Equal(2, TestSetup.Bind<TestUnsafeBackend>(config).Target.Parallelism);
        Assert.Equal(1, TestSetup.Bind<TestBackend>(config).Target.Parallelism);
        Assert.Equal(1, TestSetup.Bind<TestOtherBackend>(config).Target.Parallelism);
    }

    [Fact]
    public void Bind_SiblingSection_DoesNotApply()
    {
        var config = new GatewayConfig();
        config.Set("TestOtherBackend", "Address", "other", File1);
        config.Set("TestOtherBackend", "Queue", "q", File1);

        Assert.Equal("127.0.0.1:0", TestSetup.Bind<TestLocalBackend>(config).Target.Address);
        Assert.Equal("q", TestSetup.Bind<TestOtherBackend>(config).Target.Queue);
    }

    [Fact]
    public void Bind_SettingOnlyASubclassHas_IsIgnoredForTheBase()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "Queue", "q", File1);

        var (other, errors) = TestSetup.Bind<TestOtherBackend>(config);

        Assert.Equal("", other.Queue);
        Assert.False(errors.HasErrors);
    }

    [Theory]
    [InlineData("db_url")]
    [InlineData("DBUrl")]
    [InlineData("dburl")]
    [InlineData("DB_URL")]
    public void Bind_AcceptsSnakeCaseAndCaseInsensitiveNames(string name)
    {
        var (backend, errors) = TestSetup.BindOne(name, "postgresql://db");

        Assert.False(errors.HasErrors, TestSetup.Messages(errors));
        Assert.Equal("postgresql://db", backend.DBUrl);
    }

    [Fact]
    public void Bind_AcceptsSettingAliases()
    {
        Assert.Equal(":8786", TestSetup.BindOne("listen", ":8786").Target.TcpAddress);
        Assert.Equal(":8786", TestSetup.BindOne("tcp_address", ":8786").Target.TcpAddress);
    }

    [Fact]
    public void Bind_TheLaterRecording_WinsAcrossSpellings()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "Address", "first", File1);
        config.Set("TestBackend", "address", "second", File1);
        config.Set("TestBackend", "Address", "third", SettingSource.CommandLine("--TestBackend.Address=third"));

        Assert.Equal("third", TestSetup.Bind<TestBackend>(config).Target.Address);
        config.Set("TestBackend", "address", "fourth", File1);
        Assert.Equal("fourth", TestSetup.Bind<TestBackend>(config).Target.Address);
    }

    [Fact]
    public void Create_UsesANonPublicConstructor()
    {
        var config = new GatewayConfig();
        config.Set("TestPrivateConstructor", "Name", "x", File1);
        var errors = new ConfigErrors();

        var created = new SettingsBinder(config, TestSetup.Types()).Create(typeof(TestPrivateConstructor), errors);

        Assert.Equal("x", Assert.IsType<TestPrivateConstructor>(created).Name);
    }

    [Fact]
    public void Create_WithoutParameterlessConstructor_ThrowsEveryErrorSoFar()
    {
        var errors = new ConfigErrors();
        errors.Add("an earlier problem");
        var binder = new SettingsBinder(new GatewayConfig(), TestSetup.Types());

        var exception = Assert.Throws<ConfigurationException>(() => binder.Create(typeof(TestNoDefaultConstructor), errors));

        Assert.Equal(
            """
            Configuration has 2 error(s):
              an earlier problem
              'DaskGateway.Tests.Configuration.TestNoDefaultConstructor' cannot be created: it has no parameterless constructor
            """.ReplaceLineEndings("\n"),
            exception.Message);
    }

    [Fact]
    public void Create_ThrowingConstructorOrAbstractClass_IsAnError()
    {
        var binder = new SettingsBinder(new GatewayConfig(), TestSetup.Types());

        var thrown = Assert.Throws<ConfigurationException>(() => binder.Create(typeof(TestThrowingConstructor), new ConfigErrors()));
        var isAbstract = Assert.Throws<ConfigurationException>(() => binder.Create(typeof(TestAuthenticatorBase), new ConfigErrors()));

        Assert.EndsWith("'DaskGateway.Tests.Configuration.TestThrowingConstructor' cannot be created: its constructor threw InvalidOperationException: no way", thrown.Message, StringComparison.Ordinal);
        Assert.EndsWith("'DaskGateway.Tests.Configuration.TestAuthenticatorBase' cannot be created: it is not a concrete class", isAbstract.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateOfT_ChecksTheBaseType()
    {
        var binder = new SettingsBinder(new GatewayConfig(), TestSetup.Types());

        Assert.IsType<TestKerberosAuthenticator>(binder.Create<TestAuthenticatorBase>(typeof(TestKerberosAuthenticator), new ConfigErrors()));
        Assert.Throws<ArgumentException>(() => binder.Create<TestAuthenticatorBase>(typeof(TestBackend), new ConfigErrors()));
    }

    [Fact]
    public void Bind_SetterThatThrows_IsAnErrorWithItsMessage()
    {
        var (backend, errors) = TestSetup.BindOne("Prefix", "gateway", File1);

        Assert.Equal("", backend.Prefix);
        Assert.Equal("dask_gateway_config.csx:1: TestBackend.Prefix: must start with '/'", TestSetup.Messages(errors));
    }

    [Fact]
    public void Bind_ChecksRanges()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "worker_cores", 0, File1);
        config.Set("Local", "Fraction", 0.0, SettingSource.File("dask_gateway_config.csx", 2));

        var (_, errors) = TestSetup.Bind<TestLocalBackend>(config);

        Assert.Equal(
            """
            dask_gateway_config.csx:1: TestBackend.worker_cores: must be >= 1, got 0
            dask_gateway_config.csx:2: Local.Fraction: must be > 0, got 0.0
            """.ReplaceLineEndings("\n").TrimEnd(),
            TestSetup.Messages(errors));
        Assert.Equal("dask_gateway_config.csx:1: TestBackend.WorkerCores: must be <= 4, got 9", TestSetup.Messages(TestSetup.BindOne("WorkerCores", 9, File1).Errors));
        Assert.False(TestSetup.BindOne("WorkerCores", 4, File1).Errors.HasErrors);
    }

    [Fact]
    public void Bind_OverriddenProperty_KeepsTheAttributesOfTheBaseDeclaration()
    {
        var config = new GatewayConfig();
        config.Set("Local", "Priority", 200, File1);

        var (backend, errors) = TestSetup.Bind<TestLocalBackend>(config);

        Assert.Equal(200, backend.Priority);
        Assert.Equal("dask_gateway_config.csx:1: Local.Priority: must be <= 100, got 200", TestSetup.Messages(errors));
    }

    [Fact]
    public void Bind_ChecksRangesOfDefaultsToo()
    {
        var backend = new TestBackend { WorkerCores = 7 };
        var errors = new ConfigErrors();

        new SettingsBinder(new GatewayConfig(), TestSetup.Types()).Bind(backend, errors);

        Assert.Equal("TestBackend.WorkerCores: must be <= 4, got 7", TestSetup.Messages(errors));
    }

    [Fact]
    public void ApplyOverrides_AppliesAfterConfiguration_AndReturnsUnknownKeys()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "WorkerCores", 2, File1);
        config.Set("TestBackend", "Address", "configured", File1);
        var binder = new SettingsBinder(config, TestSetup.Types());
        var errors = new ConfigErrors();
        var backend = binder.Create<TestBackend>(typeof(TestLocalBackend), errors);

        var ignored = binder.ApplyOverrides(
            backend,
            new Dictionary<string, object?> { ["worker_cores"] = 3, ["worker_memory"] = "1G", ["bogus"] = 1, ["Queue"] = "q" },
            errors);

        Assert.False(errors.HasErrors, TestSetup.Messages(errors));
        Assert.Equal(["bogus", "Queue"], ignored);
        Assert.Equal(3, backend.WorkerCores);
        Assert.Equal(MemorySize.FromGiB(1), backend.WorkerMemory);
        Assert.Equal("configured", backend.Address);
    }

    [Fact]
    public void ApplyOverrides_ErrorsNameTheKeyOnly()
    {
        var binder = new SettingsBinder(new GatewayConfig(), TestSetup.Types());
        var errors = new ConfigErrors();
        var backend = new TestBackend();

        binder.ApplyOverrides(
            backend,
            new Dictionary<string, object?> { ["worker_cores"] = "abc", ["WorkerCores"] = 9, ["fraction"] = 2.5, ["prefix"] = "x" },
            errors);

        Assert.Equal(
            """
            worker_cores expects an integer, got 'abc'
            prefix: must start with '/'
            WorkerCores must be <= 4, got 9
            fraction must be <= 1, got 2.5
            """.ReplaceLineEndings("\n").TrimEnd(),
            TestSetup.Messages(errors));
        Assert.All(errors.Errors, error => Assert.Null(error.Section ?? error.Setting ?? (object?)error.Source));
    }
}
