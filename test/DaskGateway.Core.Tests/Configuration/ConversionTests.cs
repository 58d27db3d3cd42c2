using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class ConversionTests
{
    private static readonly SettingSource Script = SettingSource.File("dask_gateway_config.csx", 4);

    private static TestBackend Ok(string setting, object? value, SettingSource source = default)
    {
        var (backend, errors) = TestSetup.BindOne(setting, value, source);
        Assert.False(errors.HasErrors, TestSetup.Messages(errors));
        return backend;
    }

    private static string Error(string setting, object? value, SettingSource? source = null)
    {
        var (_, errors) = TestSetup.BindOne(setting, value, source ?? Script);
        return Assert.Single(errors.Errors).ToString();
    }

    [Fact]
    public void String_WrongType_NamesSettingExpectedTypeValueAndSource()
    {
        Assert.Equal("x", Ok("Address", "x").Address);
        Assert.Equal("dask_gateway_config.csx:4: TestBackend.Address: expected a string, got 12", Error("Address", 12));
        Assert.Equal("dask_gateway_config.csx:4: TestBackend.Address: expected a string, got None", Error("Address", null));
        Assert.Equal("dask_gateway_config.csx:4: TestBackend.Address: expected a string, got True", Error("Address", true));
        Assert.Null(Ok("Password", null).Password);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData("true", true)]
    [InlineData("Yes", true)]
    [InlineData("1", true)]
    [InlineData("FALSE", false)]
    [InlineData("no", false)]
    [InlineData("0", false)]
    [InlineData(false, false)]
    public void Boolean_FromBooleansAndStrings(object value, bool expected)
    {
        Assert.Equal(expected, Ok("StopClustersOnShutdown", value).StopClustersOnShutdown);
    }

    [Fact]
    public void Boolean_Wrong()
    {
        Assert.EndsWith("expected a boolean, got 'maybe'", Error("StopClustersOnShutdown", "maybe"), StringComparison.Ordinal);
        Assert.EndsWith("expected a boolean, got 1", Error("StopClustersOnShutdown", 1), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(3L)]
    [InlineData((byte)3)]
    [InlineData(3.0)]
    [InlineData(3.0f)]
    [InlineData("3")]
    [InlineData(" 3 ")]
    public void Integer_FromAnyIntegralValue(object value)
    {
        Assert.Equal(3, Ok("Parallelism", value).Parallelism);
        Assert.Equal(3, Ok("Parallelism", 3m).Parallelism);
    }

    [Theory]
    [InlineData(2.5, "expected an integer, got 2.5")]
    [InlineData(true, "expected an integer, got True")]
    [InlineData("abc", "expected an integer, got 'abc'")]
    [InlineData("1.0", "expected an integer, got '1.0'")]
    [InlineData(3000000000L, "expected an integer, got 3000000000: out of range (-2147483648 to 2147483647)")]
    [InlineData(double.NaN, "expected an integer, got nan")]
    public void Integer_Wrong(object value, string message)
    {
        Assert.Equal($"dask_gateway_config.csx:4: TestBackend.Parallelism: {message}", Error("Parallelism", value));
    }

    [Fact]
    public void Long_FromLargeValues()
    {
        Assert.Equal(3000000000L, Ok("MaxBytes", 3000000000L).MaxBytes);
        Assert.Equal(3000000000L, Ok("MaxBytes", "3000000000").MaxBytes);
        Assert.Equal(3000000000L, Ok("MaxBytes", 3e9).MaxBytes);
        Assert.EndsWith("out of range (-9223372036854775808 to 9223372036854775807)", Error("MaxBytes", ulong.MaxValue), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(2.5f, 2.5)]
    [InlineData(0.25, 0.25)]
    [InlineData("0.25", 0.25)]
    [InlineData("1e-3", 0.001)]
    public void Number_FromNumbersAndStrings(object value, double expected)
    {
        Assert.Equal(expected, Ok("BackoffBaseDelay", value).BackoffBaseDelay);
        Assert.Equal(0.5, Ok("BackoffBaseDelay", 0.5m).BackoffBaseDelay);
    }

    [Fact]
    public void Number_Wrong()
    {
        Assert.EndsWith("expected a number, got '1,5'", Error("BackoffBaseDelay", "1,5"), StringComparison.Ordinal);
        Assert.EndsWith("expected a number, got False", Error("BackoffBaseDelay", false), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("None", null)]
    [InlineData("null", null)]
    [InlineData(5, 5)]
    [InlineData("5", 5)]
    public void NullableInteger_AcceptsNone(object? value, int? expected)
    {
        var backend = Ok("ClusterMaxWorkers", value);

        Assert.Equal(expected, backend.ClusterMaxWorkers);
        Assert.EndsWith("expected an integer or None, got 'x'", Error("ClusterMaxWorkers", "x"), StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_FromNamesCaseInsensitively()
    {
        Assert.Equal(TestLogLevel.Debug, Ok("LogLevel", "debug").LogLevel);
        Assert.Equal(TestLogLevel.Warn, Ok("LogLevel", TestLogLevel.Warn).LogLevel);
        Assert.EndsWith("expected one of 'Debug', 'Info', 'Warn', got 'loud'", Error("LogLevel", "loud"), StringComparison.Ordinal);
        Assert.EndsWith("expected one of 'Debug', 'Info', 'Warn', got 1", Error("LogLevel", 1), StringComparison.Ordinal);
        Assert.EndsWith("got '1'", Error("LogLevel", "1"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2 G", 2L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("512M", 512L << 20)]
    [InlineData(1024, 1024L)]
    [InlineData(1024L, 1024L)]
    [InlineData(2048.0, 2048L)]
    public void MemorySize_FromBytesAndUpstreamStrings(object value, long bytes)
    {
        Assert.Equal(new MemorySize(bytes), Ok("WorkerMemory", value).WorkerMemory);
        Assert.Equal(new MemorySize(bytes), Ok("ClusterMaxMemory", value).ClusterMaxMemory);
    }

    [Fact]
    public void MemorySize_FromAMemorySizeOrNone()
    {
        Assert.Equal(MemorySize.FromMiB(3), Ok("WorkerMemory", MemorySize.FromMiB(3)).WorkerMemory);
        Assert.Null(Ok("ClusterMaxMemory", null).ClusterMaxMemory);
        Assert.Null(Ok("ClusterMaxMemory", "None").ClusterMaxMemory);
    }

    [Fact]
    public void MemorySize_BadStrings_SayWhy()
    {
        Assert.Equal(
            "dask_gateway_config.csx:4: TestBackend.WorkerMemory: expected a memory size, got '2GB': '2GB' is not a memory size: use bytes as a number, or a number followed by K, M, G or T (e.g. '2 G', '1.5G', '512M')",
            Error("WorkerMemory", "2GB"));
        Assert.EndsWith("expected a memory size or None, got '1Gi': '1Gi' is not a memory size: use bytes as a number, or a number followed by K, M, G or T (e.g. '2 G', '1.5G', '512M')", Error("ClusterMaxMemory", "1Gi"), StringComparison.Ordinal);
        Assert.EndsWith("expected a memory size, got 1.5", Error("WorkerMemory", 1.5), StringComparison.Ordinal);
        Assert.EndsWith("expected a memory size, got -1: a memory size cannot be negative", Error("WorkerMemory", -1), StringComparison.Ordinal);
        Assert.EndsWith("expected a memory size, got -1: a memory size cannot be negative", Error("WorkerMemory", -1L), StringComparison.Ordinal);
        Assert.EndsWith("expected a memory size, got True", Error("WorkerMemory", true), StringComparison.Ordinal);
    }

    [Fact]
    public void MemorySize_DigitsAreBytesOnlyOnTheCommandLine()
    {
        Assert.Equal(new MemorySize(1024), Ok("WorkerMemory", "1024", SettingSource.CommandLine("--TestBackend.WorkerMemory=1024")).WorkerMemory);
        Assert.Contains("expected a memory size, got '1024'", Error("WorkerMemory", "1024"), StringComparison.Ordinal);
    }

    [Fact]
    public void Command_FromOneStringOrAList()
    {
        Assert.Equal(["dask-worker --nthreads 2"], Ok("WorkerCmd", "dask-worker --nthreads 2").WorkerCmd);
        Assert.Equal(["dask-worker", "--nthreads", "2"], Ok("worker_cmd", new[] { "dask-worker", "--nthreads", "2" }).WorkerCmd);
        Assert.Equal(["a", "b"], Ok("WorkerCmd", new List<object> { "a", "b" }).WorkerCmd);
        Assert.Equal(["[x]"], Ok("WorkerCmd", "[x]").WorkerCmd);
    }

    [Fact]
    public void Command_FromAJsonArrayOnTheCommandLine()
    {
        var flag = SettingSource.CommandLine("--TestBackend.WorkerCmd=[\"a\", \"b c\"]");

        Assert.Equal(["a", "b c"], Ok("WorkerCmd", "[\"a\", \"b c\"]", flag).WorkerCmd);
        Assert.Contains("expected a command (a string or a list of strings), got '[bad': not valid JSON", Error("WorkerCmd", "[bad", flag), StringComparison.Ordinal);
        Assert.EndsWith("got '[1]': item 0 is 1, not a string", Error("WorkerCmd", "[1]", flag), StringComparison.Ordinal);
    }

    [Fact]
    public void Command_Wrong()
    {
        Assert.Equal(
            "dask_gateway_config.csx:4: TestBackend.WorkerCmd: expected a command (a string or a list of strings), got ['a', 1]: item 1 is 1, not a string",
            Error("WorkerCmd", new object[] { "a", 1 }));
        Assert.EndsWith("expected a command (a string or a list of strings), got 12", Error("WorkerCmd", 12), StringComparison.Ordinal);
        Assert.EndsWith("expected a list of strings, got {'a': 'b'}", Error("InheritedEnvironment", new Dictionary<string, string> { ["a"] = "b" }), StringComparison.Ordinal);
    }

    [Fact]
    public void StringLists_GetTheirPropertyTypes_AndAreCopies()
    {
        var given = new List<string> { "PATH" };
        var backend = Ok("InheritedEnvironment", given);
        given.Add("HOME");

        Assert.Equal(["PATH"], backend.InheritedEnvironment);
        Assert.Equal(["secret"], Ok("ImagePullSecrets", "secret").ImagePullSecrets);
        Assert.Equal(["a", "b"], Ok("ImagePullSecrets", new List<string> { "a", "b" }).ImagePullSecrets);
    }

    [Fact]
    public void Mapping_FromDictionariesAndPairs()
    {
        Assert.Equal(
            new Dictionary<string, string> { ["A"] = "1" },
            Ok("Environment", new Dictionary<string, object> { ["A"] = "1" }).Environment);
        Assert.Equal(
            new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" },
            Ok("Environment", new List<KeyValuePair<string, string>> { new("A", "1"), new("B", "2") }).Environment);
        Assert.Equal(
            new Dictionary<string, object?> { ["n"] = 1, ["x"] = null },
            Ok("ExtraPodConfig", new Dictionary<string, object?> { ["n"] = 1, ["x"] = null }).ExtraPodConfig);
    }

    [Fact]
    public void Mapping_FromAJsonObjectOnTheCommandLine()
    {
        var flag = SettingSource.CommandLine("--TestBackend.ExtraPodConfig=...");

        Assert.Equal(new Dictionary<string, string> { ["A"] = "1" }, Ok("Environment", "{\"A\": \"1\"}", flag).Environment);
        var config = Ok("ExtraPodConfig", "{\"n\": 1, \"f\": 0.5, \"l\": [\"x\"], \"m\": {\"k\": true}, \"z\": null}", flag).ExtraPodConfig;
        Assert.Equal(1L, config["n"]);
        Assert.Equal(0.5, config["f"]);
        Assert.Equal(new List<object?> { "x" }, config["l"]);
        Assert.Equal(new Dictionary<string, object?> { ["k"] = true }, config["m"]);
        Assert.Null(config["z"]);
        Assert.EndsWith("got '{\"A\": 1}': the value of 'A' is 1, not a string", Error("Environment", "{\"A\": 1}", flag), StringComparison.Ordinal);
        Assert.Contains("got '{\"A\": \"1\"': not valid JSON: ", Error("Environment", "{\"A\": \"1\"", flag), StringComparison.Ordinal);
        Assert.EndsWith("expected a mapping of strings to strings, got '[1]'", Error("Environment", "[1]", flag), StringComparison.Ordinal);
    }

    [Fact]
    public void Mapping_Wrong()
    {
        Assert.Equal(
            "dask_gateway_config.csx:4: TestBackend.Environment: expected a mapping of strings to strings, got '{\"A\": \"1\"}'",
            Error("Environment", "{\"A\": \"1\"}"));
        Assert.EndsWith("expected a mapping of strings to strings, got {'A': 1}: the value of 'A' is 1, not a string", Error("Environment", new Dictionary<string, int> { ["A"] = 1 }), StringComparison.Ordinal);
        Assert.EndsWith("expected a mapping of strings to values, got {1: 'a'}: the key 1 is not a string", Error("ExtraPodConfig", new Dictionary<int, string> { [1] = "a" }), StringComparison.Ordinal);
        Assert.EndsWith("expected a mapping of strings to values, got ['a']", Error("ExtraPodConfig", new[] { "a" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(typeof(TestKerberosAuthenticator), typeof(TestKerberosAuthenticator))]
    [InlineData("simple", typeof(TestSimpleAuthenticator))]
    [InlineData("dask_gateway_server.auth.SimpleAuthenticator", typeof(TestSimpleAuthenticator))]
    [InlineData("DaskGateway.Tests.Configuration.TestKerberosAuthenticator", typeof(TestKerberosAuthenticator))]
    [InlineData("TestKerberosAuthenticator", typeof(TestKerberosAuthenticator))]
    public void Class_FromATypeOrAName(object value, Type expected)
    {
        Assert.Equal(expected, Ok("authenticator_class", value).AuthenticatorClass);
    }

    [Fact]
    public void Class_Wrong()
    {
        const string Prefix = "dask_gateway_config.csx:4: TestBackend.AuthenticatorClass: expected a class deriving from TestAuthenticatorBase, got";
        Assert.Equal(
            $"{Prefix} typeof(DaskGateway.Tests.Configuration.TestBackend): 'DaskGateway.Tests.Configuration.TestBackend' is not a subclass of TestAuthenticatorBase",
            Error("AuthenticatorClass", typeof(TestBackend)));
        Assert.Equal(
            $"{Prefix} 'TestBackend': 'TestBackend' is not a subclass of TestAuthenticatorBase",
            Error("AuthenticatorClass", "TestBackend"));
        Assert.Equal(
            $"{Prefix} 'kerberos': unknown class 'kerberos' (expected a subclass of TestAuthenticatorBase). Known classes: TestSimpleAuthenticator, TestKerberosAuthenticator",
            Error("AuthenticatorClass", "kerberos"));
        Assert.EndsWith("Did you mean 'TestKerberosAuthenticator'?", Error("AuthenticatorClass", "TestKerberosAuthenticatr"), StringComparison.Ordinal);
        Assert.EndsWith("is abstract: name a concrete subclass of TestAuthenticatorBase", Error("AuthenticatorClass", typeof(TestAuthenticatorBase)), StringComparison.Ordinal);
        Assert.EndsWith("got 12", Error("AuthenticatorClass", 12), StringComparison.Ordinal);
    }

    [Fact]
    public void ImplicitConversion_DeclaredOnTheTargetType()
    {
        var fixedOptions = new TestOptions("fixed");

        Assert.Same(fixedOptions, Ok("ClusterOptions", fixedOptions).ClusterOptions.Resolve("alice"));
        Func<string, TestOptions> perUser = user => new TestOptions(user);
        Assert.Equal(new TestOptions("bob"), Ok("ClusterOptions", perUser).ClusterOptions.Resolve("bob"));
        Assert.Equal(
            "dask_gateway_config.csx:4: TestBackend.ClusterOptions: expected TestOptionsSource, got 12",
            Error("ClusterOptions", 12));
    }

    [Fact]
    public void ImplicitConversion_DeclaredOnTheValueType()
    {
        Assert.Equal("example.org:8786", Ok("Address", new TestEndpoint("example.org", 8786)).Address);
        Assert.EndsWith(
            "expected a string, got TestEndpoint { Host = h, Port = 0 }: the port must be positive",
            Error("Address", new TestEndpoint("h", 0)),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Values_RenderPythonLike()
    {
        Assert.EndsWith("got 'it\\'s'", Error("Parallelism", "it's"), StringComparison.Ordinal);
        Assert.EndsWith("got <Func<string, TestOptions>>", Error("Parallelism", (Func<string, TestOptions>)(user => new TestOptions(user))), StringComparison.Ordinal);
        Assert.EndsWith("got <TestNoDefaultConstructor object>", Error("Address", new TestNoDefaultConstructor("x")), StringComparison.Ordinal);
        Assert.EndsWith("got TestOptions { Name = x }", Error("Address", new TestOptions("x")), StringComparison.Ordinal);
    }
}
