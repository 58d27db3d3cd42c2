using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

internal enum TestLogLevel
{
    Debug,
    Info,
    Warn,
}

internal abstract class TestAuthenticatorBase
{
    [Description("The realm shown to users.")]
    public string Realm { get; set; } = "default";
}

[ClassAlias("simple")]
[ClassAlias("dask_gateway_server.auth.SimpleAuthenticator")]
internal sealed class TestSimpleAuthenticator : TestAuthenticatorBase
{
    public string? Password { get; set; }
}

internal sealed class TestKerberosAuthenticator : TestAuthenticatorBase
{
    public string Keytab { get; set; } = "dask_gateway.keytab";
}

internal sealed record TestOptions(string Name);

/// <summary>Like ClusterOptionsSource: fixed options or a function of the user, by implicit conversion.</summary>
internal sealed class TestOptionsSource
{
    private readonly Func<string, TestOptions> _resolve;

    private TestOptionsSource(Func<string, TestOptions> resolve) => _resolve = resolve;

    public TestOptions Resolve(string user) => _resolve(user);

    public static implicit operator TestOptionsSource(TestOptions options) => new(_ => options);

    public static implicit operator TestOptionsSource(Func<string, TestOptions> factory) => new(factory);

    public static TestOptionsSource FromTestOptions(TestOptions options) => options;
}

/// <summary>A value that converts itself to a string (an operator on the source type).</summary>
internal sealed record TestEndpoint(string Host, int Port)
{
    public static implicit operator string(TestEndpoint endpoint) =>
        endpoint.Port > 0 ? $"{endpoint.Host}:{endpoint.Port}" : throw new ArgumentException("the port must be positive");
}

internal class TestBackend
{
    [Description("The address to listen on.")]
    public string Address { get; set; } = "127.0.0.1:0";

    public int Parallelism { get; set; } = 20;

    public long MaxBytes { get; set; }

    public double BackoffBaseDelay { get; set; } = 0.1;

    public bool StopClustersOnShutdown { get; set; } = true;

    public string DBUrl { get; set; } = "sqlite:///:memory:";

    [SettingAlias("listen")]
    public string TcpAddress { get; set; } = "";

    public int? ClusterMaxWorkers { get; set; }

    public MemorySize WorkerMemory { get; set; } = MemorySize.FromGiB(2);

    public MemorySize? ClusterMaxMemory { get; set; }

    [CommandSetting]
    [Description("The worker command.\nOne argument per item.")]
    public IReadOnlyList<string> WorkerCmd { get; set; } = ["dask-worker"];

    public List<string> InheritedEnvironment { get; set; } = [];

    public string[] ImagePullSecrets { get; set; } = [];

    public IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    public Dictionary<string, object?> ExtraPodConfig { get; set; } = [];

    public TestLogLevel LogLevel { get; set; } = TestLogLevel.Info;

    [ClassSetting(typeof(TestAuthenticatorBase))]
    public Type AuthenticatorClass { get; set; } = typeof(TestSimpleAuthenticator);

    [Range(1, 4)]
    public int WorkerCores { get; set; } = 1;

    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double Fraction { get; set; } = 0.5;

    public TestOptionsSource ClusterOptions { get; set; } = new TestOptions("default");

    public string? Password { get; set; }

    public string Prefix
    {
        get;
        set => field = value.StartsWith('/') || value.Length == 0 ? value : throw new ArgumentException("must start with '/'");
    } = "";

    public int ReadOnlyCount { get; } = 1;

    [SettingIgnore]
    public string Ignored { get; set; } = "";

    [Range(0, 100)]
    [Description("Scheduling priority.")]
    public virtual int Priority { get; set; }

    [SettingIgnore]
    public virtual string Secret { get; set; } = "";
}

[ConfigSection("Local")]
internal class TestLocalBackend : TestBackend
{
    public TestLocalBackend() => Parallelism = 5;

    public override int Priority { get; set; } = 50;

    public override string Secret { get; set; } = "local";

    [Description("Seconds to wait after SIGINT.")]
    public int SigintTimeout { get; set; } = 10;
}

internal sealed class TestUnsafeBackend : TestLocalBackend
{
}

internal sealed class TestOtherBackend : TestBackend
{
    public string Queue { get; set; } = "";
}

internal sealed class TestPrivateConstructor
{
    private TestPrivateConstructor()
    {
    }

    public string Name { get; set; } = "";
}

internal sealed class TestNoDefaultConstructor(string name)
{
    public string Name { get; set; } = name;
}

internal sealed class TestThrowingConstructor
{
    public TestThrowingConstructor() => throw new InvalidOperationException("no way");

    public string Name { get; set; } = "";
}

internal static class TestSetup
{
    public static ConfigurableTypes Types()
    {
        var types = new ConfigurableTypes();
        foreach (var type in new[]
        {
            typeof(TestBackend), typeof(TestLocalBackend), typeof(TestUnsafeBackend), typeof(TestOtherBackend),
            typeof(TestSimpleAuthenticator), typeof(TestKerberosAuthenticator),
        })
        {
            types.Register(type);
        }

        return types;
    }

    /// <summary>Binds a new <typeparamref name="T"/> to <paramref name="config"/>.</summary>
    public static (T Target, ConfigErrors Errors) Bind<T>(GatewayConfig config, ConfigurableTypes? types = null)
        where T : class
    {
        var errors = new ConfigErrors();
        var target = new SettingsBinder(config, types ?? Types()).Create<T>(typeof(T), errors);
        return (target, errors);
    }

    /// <summary>Binds a <see cref="TestBackend"/> with one recorded value.</summary>
    public static (TestBackend Target, ConfigErrors Errors) BindOne(string setting, object? value, SettingSource source = default)
    {
        var config = new GatewayConfig();
        config.Set("TestBackend", setting, value, source);
        return Bind<TestBackend>(config);
    }

    public static string Messages(ConfigErrors errors) => string.Join("\n", errors.Errors.Select(error => error.ToString()));
}
