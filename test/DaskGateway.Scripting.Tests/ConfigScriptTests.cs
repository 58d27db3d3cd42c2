using System.Collections;
using DaskGateway.Auth;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Tests.Scripting;

public sealed class ConfigScriptTests
{
    [Fact]
    public void Assignments_AreRecordedAsGiven_WithTheirScriptLines()
    {
        var run = new ScriptRun();
        var config = run.Write("dask_gateway_config.csx", """
            // comment
            c.Proxy.Address = ":9000";
            c.ClusterConfig.worker_cores = 2;

            c["DaskGateway"]["LogLevel"] = "DEBUG";
            c["ClusterConfig"].Update(new Dictionary<string, object>
            {
                ["WorkerMemory"] = "4 G",
                ["Environment"] = new Dictionary<string, string> { ["A"] = "1" },
            });
            c.Backend.ClusterOptions = new Options(Option.Integer("worker_cores", 1, min: 1, max: 4));
            """);

        run.Run(config);

        run.AssertNoErrors();
        Assert.Equal((":9000", SettingSource.File(config, 2)), (run.Recorded("Proxy", "Address").Value, run.Recorded("Proxy", "Address").Source));
        Assert.Equal((2, 3), ((int)run.Recorded("ClusterConfig", "worker_cores").Value!, run.Recorded("ClusterConfig", "worker_cores").Source.Line));
        Assert.Equal(5, run.Recorded("DaskGateway", "LogLevel").Source.Line);
        Assert.Equal(("4 G", 6), (run.Recorded("ClusterConfig", "WorkerMemory").Value, run.Recorded("ClusterConfig", "WorkerMemory").Source.Line));
        Assert.IsType<Dictionary<string, string>>(run.Recorded("ClusterConfig", "Environment").Value);
        Assert.Equal("worker_cores", Assert.Single(Assert.IsType<Options>(run.Recorded("Backend", "ClusterOptions").Value).Fields).Field);
    }

    [Fact]
    public void PerUserOptions_AreAssignedThroughADelegateType_FromALambdaOrAMethod()
    {
        var run = new ScriptRun();
        var config = run.Write("config.csx", """
            Options ForUser(User user) => new Options(Option.Integer("worker_cores", 1, max: user.Name == "alice" ? 8 : 2));
            c.Backend.ClusterOptions = (Func<User, Options>)(user => ForUser(user));
            c.LocalBackend.ClusterOptions = (Func<User, Options>)ForUser;
            c.ClusterConfig.ClusterMaxCores = ClusterOptionsSource.FromFunction(user => ForUser(user)) is null ? 1 : 16;
            """);

        run.Run(config);

        run.AssertNoErrors();
        var lambda = Assert.IsType<Func<User, Options>>(run.Recorded("Backend", "ClusterOptions").Value);
        var method = Assert.IsType<Func<User, Options>>(run.Recorded("LocalBackend", "ClusterOptions").Value);
        Assert.Equal(8L, ((IntegerOption)lambda(new User("alice")).Fields[0]).Max);
        Assert.Equal(2L, ((IntegerOption)method(new User("bob")).Fields[0]).Max);
        Assert.Equal(16, run.Recorded("ClusterConfig", "ClusterMaxCores").Value);
    }

    [Fact]
    public void AScript_ReadsTheEnvironment_ReadsBackItsValues_AndLoadsSubconfigsRelativeToItself()
    {
        var run = new ScriptRun();
        Environment.SetEnvironmentVariable("DASK_GATEWAY_SCRIPTING_TEST", "from-env");
        var config = run.Write("config.csx", """
            c.SimpleAuthenticator.Password = Environment.GetEnvironmentVariable("DASK_GATEWAY_SCRIPTING_TEST");
            LoadSubconfig("parts/limits.csx");
            c.ClusterConfig.ClusterMaxCores = c.ClusterConfig.ClusterMaxWorkers * 2;
            """);
        var limits = run.Write("parts/limits.csx", """
            c.ClusterConfig.ClusterMaxWorkers = 5;
            c.ClusterConfig.Environment = new Dictionary<string, string> { ["FILE"] = ConfigFile, ["SAME"] = (GetConfig() == c).ToString() };
            """);

        run.Run(config);

        run.AssertNoErrors();
        Assert.Equal("from-env", run.Recorded("SimpleAuthenticator", "Password").Value);
        Assert.Equal(SettingSource.File(limits, 1), run.Recorded("ClusterConfig", "ClusterMaxWorkers").Source);
        Assert.Equal((10, 3), ((int)run.Recorded("ClusterConfig", "ClusterMaxCores").Value!, run.Recorded("ClusterConfig", "ClusterMaxCores").Source.Line));
        var environment = (IDictionary)run.Recorded("ClusterConfig", "Environment").Value!;
        Assert.Equal((limits, "True"), (environment["FILE"], environment["SAME"]));
    }

    [Fact]
    public void ScriptFailures_AreErrorsWithTheirLines_AndAFailingSubconfigDoesNotStopItsParent()
    {
        var run = new ScriptRun();
        var config = run.Write("config.csx", """
            LoadSubconfig("throws.csx");
            LoadSubconfig("broken.csx");
            c.Proxy.Prefix = "/after";
            LoadSubconfig("missing.csx");
            """);
        var throws = run.Write("throws.csx", """
            c.Proxy.Address = ":1";
            var unset = c.Proxy.NotSetYet;
            """);
        var broken = run.Write("broken.csx", "c.Proxy.Address = ;");

        run.Run(config);

        Assert.Equal(":1", run.Recorded("Proxy", "Address").Value);
        Assert.Equal("/after", run.Recorded("Proxy", "Prefix").Value);
        var errors = run.Errors.Errors.Select(error => error.ToString()).ToList();
        Assert.Equal(3, errors.Count);
        Assert.StartsWith($"{throws}:2: the config script threw KeyNotFoundException: c.Proxy.NotSetYet has no value yet", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"{broken}:1:19: error CS1525: Invalid expression term ';'", errors[1], StringComparison.Ordinal);
        Assert.Equal($"{config}:4: the config script threw FileNotFoundException: LoadSubconfig: '{Path.Combine(run.Directory, "missing.csx")}' does not exist", errors[2]);
    }

    [Fact]
    public void SubconfigsLoadingEachOther_AreACycleError()
    {
        var run = new ScriptRun();
        var config = run.Write("a.csx", "LoadSubconfig(\"b.csx\");");
        var b = run.Write("b.csx", "c.Proxy.Prefix = \"/b\";\nLoadSubconfig(\"a.csx\");");

        run.Run(config);

        Assert.Equal(
            $"{b}:2: the config script threw InvalidOperationException: LoadSubconfig: '{config}' is already being run (the config scripts load each other in a cycle)",
            Assert.Single(run.Errors.Errors).ToString());
    }

    [Fact]
    public void AssigningToASection_IsAnError_NamingTheRightForm()
    {
        var run = new ScriptRun();
        var config = run.Write("config.csx", "c.Proxy = \":9000\";");

        run.Run(config);

        Assert.Equal(
            $"{config}:1: the config script threw InvalidOperationException: c.Proxy = ... names no setting: write c.Section.Setting = value (for example c.Proxy.Setting = value).",
            Assert.Single(run.Errors.Errors).ToString());
    }
}
