using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class RecordingAndErrorsTests
{
    [Fact]
    public void SettingSource_RendersWhereTheValueCameFrom()
    {
        Assert.Equal("dask_gateway_config.csx:4", SettingSource.File("dask_gateway_config.csx", 4).ToString());
        Assert.Equal("command line (--Proxy.Address=:9000)", SettingSource.CommandLine("--Proxy.Address=:9000").ToString());
        Assert.Equal("code", SettingSource.Code.ToString());
        Assert.Equal(SettingSource.Code, default);
        Assert.Equal(SettingSourceKind.File, SettingSource.File("a", 1).Kind);
    }

    [Fact]
    public void Set_LaterValueWins_AndMovesToTheEnd()
    {
        var config = new GatewayConfig();
        config.Set("Proxy", "Address", ":8000", SettingSource.File("a.csx", 1));
        config.Set("Proxy", "LogLevel", "debug", SettingSource.File("a.csx", 2));
        config.Set("Proxy", "Address", ":9000", SettingSource.CommandLine("--Proxy.Address=:9000"));

        Assert.Equal(2, config.Count);
        Assert.Equal(["LogLevel", "Address"], config.Settings.Select(setting => setting.Setting));
        Assert.True(config.TryGet("Proxy", "Address", out var recorded));
        Assert.Equal(":9000", recorded.Value);
        Assert.Equal(SettingSourceKind.CommandLine, recorded.Source.Kind);
        Assert.False(config.TryGet("Proxy", "address", out _));
    }

    [Fact]
    public void Update_RecordsEveryValueWithTheSource()
    {
        var config = new GatewayConfig();
        config.Update("Backend", new Dictionary<string, object?> { ["A"] = 1, ["B"] = null }, SettingSource.File("f.csx", 7));

        Assert.Equal(
            [new RecordedSetting("Backend", "A", 1, SettingSource.File("f.csx", 7)), new RecordedSetting("Backend", "B", null, SettingSource.File("f.csx", 7))],
            config.Settings);
    }

    [Fact]
    public void Set_RejectsEmptyNames()
    {
        Assert.Throws<ArgumentException>(() => new GatewayConfig().Set("", "A", 1, SettingSource.Code));
        Assert.Throws<ArgumentException>(() => new GatewayConfig().Set("A", " ", 1, SettingSource.Code));
    }

    [Fact]
    public void ThrowIfAny_ListsEveryError_OmittingMissingParts()
    {
        var errors = new ConfigErrors();
        errors.ThrowIfAny();
        errors.Add("expected a string, got 12", SettingSource.File("dask_gateway_config.csx", 4), "Proxy", "Address");
        errors.Add("Unknown section 'Proxi'.", SettingSource.File("dask_gateway_config.csx", 5));
        errors.Add("worker_cores expects an integer, got 'x'");
        errors.Add("must be >= 1, got 0", null, "ClusterConfig", "WorkerCores");

        var exception = Assert.Throws<ConfigurationException>(errors.ThrowIfAny);

        Assert.Equal(
            """
            Configuration has 4 error(s):
              dask_gateway_config.csx:4: Proxy.Address: expected a string, got 12
              dask_gateway_config.csx:5: Unknown section 'Proxi'.
              worker_cores expects an integer, got 'x'
              ClusterConfig.WorkerCores: must be >= 1, got 0
            """.ReplaceLineEndings("\n"),
            exception.Message);
        Assert.Equal(4, exception.Errors.Count);
        Assert.Equal("Proxy", exception.Errors[0].Section);
    }

    [Fact]
    public void Add_KeepsAnErrorOnce()
    {
        var errors = new ConfigErrors();
        Assert.False(errors.HasErrors);
        errors.Add("bad", SettingSource.File("a", 1), "S", "X");
        errors.Add("bad", SettingSource.File("a", 1), "S", "X");
        errors.Add("bad", SettingSource.File("a", 2), "S", "X");

        Assert.True(errors.HasErrors);
        Assert.Equal(2, errors.Errors.Count);
    }
}
