using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class CommandLineSettingsTests
{
    [Fact]
    public void Parse_RecordsBothForms_AndReturnsTheRestInOrder()
    {
        var config = new GatewayConfig();
        var errors = new ConfigErrors();

        var rest = CommandLineSettings.Parse(
            ["serve", "--Proxy.Address=:9000", "-f", "x.csx", "--Backend.Parallelism", "5", "--debug", "--log-level=a.b", "--Proxy.Prefix=a=b"],
            config,
            errors);

        Assert.False(errors.HasErrors, TestSetup.Messages(errors));
        Assert.Equal(["serve", "-f", "x.csx", "--debug", "--log-level=a.b"], rest);
        Assert.Equal(
            [
                new RecordedSetting("Proxy", "Address", ":9000", SettingSource.CommandLine("--Proxy.Address=:9000")),
                new RecordedSetting("Backend", "Parallelism", "5", SettingSource.CommandLine("--Backend.Parallelism 5")),
                new RecordedSetting("Proxy", "Prefix", "a=b", SettingSource.CommandLine("--Proxy.Prefix=a=b")),
            ],
            config.Settings);
        Assert.Equal("command line (--Backend.Parallelism 5)", config.Settings.ElementAt(1).Source.ToString());
    }

    [Fact]
    public void Parse_AcceptsAnEmptyValueAndDashValues()
    {
        var config = new GatewayConfig();
        var errors = new ConfigErrors();

        CommandLineSettings.Parse(["--Proxy.Prefix=", "--Backend.Offset", "-1"], config, errors);

        Assert.False(errors.HasErrors);
        Assert.True(config.TryGet("Proxy", "Prefix", out var prefix));
        Assert.Equal("", prefix.Value);
        Assert.True(config.TryGet("Backend", "Offset", out var offset));
        Assert.Equal("-1", offset.Value);
    }

    [Fact]
    public void Parse_FlagWithoutValue_IsAnError()
    {
        var config = new GatewayConfig();
        var errors = new ConfigErrors();

        var rest = CommandLineSettings.Parse(["--Proxy.Address", "--debug", "--Proxy.TcpAddress"], config, errors);

        Assert.Equal(["--debug"], rest);
        Assert.Equal(0, config.Count);
        Assert.Equal(
            """
            command line (--Proxy.Address): --Proxy.Address needs a value (--Proxy.Address=VALUE or --Proxy.Address VALUE)
            command line (--Proxy.TcpAddress): --Proxy.TcpAddress needs a value (--Proxy.TcpAddress=VALUE or --Proxy.TcpAddress VALUE)
            """.ReplaceLineEndings("\n").TrimEnd(),
            TestSetup.Messages(errors));
    }

    [Fact]
    public void Parse_MalformedNames_AreErrors()
    {
        var config = new GatewayConfig();
        var errors = new ConfigErrors();

        CommandLineSettings.Parse(["--A.B.C=1", "--.B=1", "--A.=1"], config, errors);

        Assert.Equal(0, config.Count);
        Assert.Equal(3, errors.Errors.Count);
        Assert.Equal("command line (--A.B.C=1): '--A.B.C' is not a setting flag: expected --Section.Setting=VALUE", errors.Errors[0].ToString());
    }

    [Fact]
    public void Parse_LeavesEverythingAfterDoubleDash()
    {
        var config = new GatewayConfig();

        var rest = CommandLineSettings.Parse(["--A.B=1", "--", "--C.D=2"], config, new ConfigErrors());

        Assert.Equal(["--", "--C.D=2"], rest);
        Assert.Equal(1, config.Count);
    }

    [Fact]
    public void FlagValues_OverrideFileValues_WithCommandLineConversions()
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", "WorkerMemory", "1G", SettingSource.File("c.csx", 1));
        config.Set("TestBackend", "Parallelism", 3, SettingSource.File("c.csx", 2));
        var errors = new ConfigErrors();
        CommandLineSettings.Parse(["--TestBackend.worker_memory=1024", "--Local.Parallelism", "7", "--TestBackend.WorkerCmd=[\"a\",\"b\"]"], config, errors);

        var (backend, bindErrors) = TestSetup.Bind<TestLocalBackend>(config);

        Assert.False(errors.HasErrors || bindErrors.HasErrors, TestSetup.Messages(bindErrors));
        Assert.Equal(new MemorySize(1024), backend.WorkerMemory);
        Assert.Equal(7, backend.Parallelism);
        Assert.Equal(["a", "b"], backend.WorkerCmd);
    }
}
