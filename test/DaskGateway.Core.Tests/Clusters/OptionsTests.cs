using System.Text;
using System.Text.Json;
using DaskGateway.Auth;
using DaskGateway.Clusters;

namespace DaskGateway.Tests.Clusters;

public sealed class OptionsTests
{
    private static readonly User Alice = new("alice");

    private static string Specification(Options options)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            options.WriteSpecification(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void Specification_MatchesWhatTheClientRebuildsFieldsFrom()
    {
        var options = new Options(
            Option.Integer("worker_cores", 1, min: 1, max: 4, label: "Worker Cores"),
            Option.Float("worker_memory", 1, min: 1, max: 8, label: "Worker Memory (GiB)"),
            Option.Select("profile", ["small", "large"], label: "Profile"),
            Option.String("queue", "default"),
            Option.Bool("keep"),
            Option.Mapping("env"),
            Option.Integer("unbounded"));

        Assert.Equal(
            """[{"field":"worker_cores","label":"Worker Cores","default":1,"spec":{"type":"int","min":1,"max":4}},"""
            + """{"field":"worker_memory","label":"Worker Memory (GiB)","default":1.0,"spec":{"type":"float","min":1.0,"max":8.0}},"""
            + """{"field":"profile","label":"Profile","default":"small","spec":{"type":"select","options":["small","large"]}},"""
            + """{"field":"queue","label":"queue","default":"default","spec":{"type":"string"}},"""
            + """{"field":"keep","label":"keep","default":false,"spec":{"type":"bool"}},"""
            + """{"field":"env","label":"env","default":{},"spec":{"type":"mapping"}},"""
            + """{"field":"unbounded","label":"unbounded","default":0,"spec":{"type":"int","min":null,"max":null}}]""",
            Specification(options));
    }

    [Fact]
    public void Parse_FillsDefaultsAndConvertsIntegersToFloats()
    {
        var options = new Options(Option.Integer("cores", 1), Option.Float("memory", 1.5), Option.Mapping("env"));

        var parsed = options.Parse(new Dictionary<string, object?> { ["memory"] = 2L });

        Assert.Equal(1L, parsed["cores"]);
        Assert.Equal(2.0, parsed["memory"]);
        Assert.IsType<double>(parsed["memory"]);
        Assert.Empty((IReadOnlyDictionary<string, object?>)parsed["env"]!);
    }

    [Theory]
    [InlineData("worker_cores", "2", "worker_cores must be an integer, got '2'")]
    [InlineData("worker_cores", 9L, "worker_cores must be <= 4.000000, got 9")]
    [InlineData("worker_cores", 0L, "worker_cores must be >= 1.000000, got 0")]
    [InlineData("worker_cores", 2.0, "worker_cores must be an integer, got 2.0")]
    [InlineData("worker_cores", true, "worker_cores must be an integer, got True")]
    [InlineData("worker_memory", 9.5, "worker_memory must be <= 8.000000, got 9.5")]
    [InlineData("worker_memory", "1", "worker_memory must be a float, got '1'")]
    [InlineData("profile", "medium", "'medium' is not a valid option for profile")]
    [InlineData("profile", 1L, "profile must be a string, got 1")]
    [InlineData("queue", null, "queue must be a string, got None")]
    [InlineData("keep", "yes", "keep must be a bool, got 'yes'")]
    [InlineData("env", "x", "env must be a mapping, got 'x'")]
    public void Parse_InvalidValue_GivesUpstreamsMessage(string field, object? value, string message)
    {
        var options = new Options(
            Option.Integer("worker_cores", 1, min: 1, max: 4),
            Option.Float("worker_memory", 1, min: 1, max: 8),
            Option.Select("profile", ["small", "large"]),
            Option.String("queue"),
            Option.Bool("keep"),
            Option.Mapping("env"));

        var error = Assert.Throws<InvalidOptionsException>(() => options.Parse(new Dictionary<string, object?> { [field] = value }));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Parse_UnknownFields_AreListedSorted()
    {
        var options = new Options(Option.Integer("a"));

        var error = Assert.Throws<InvalidOptionsException>(() => options.Parse(new Dictionary<string, object?> { ["zz"] = 1L, ["extra"] = 2L }));

        Assert.Equal("Unknown fields ['extra', 'zz']", error.Message);
    }

    [Fact]
    public void Parse_NonMapping_IsRejected()
    {
        var error = Assert.Throws<InvalidOptionsException>(() => new Options().Parse(new List<object?> { 1L }));

        Assert.Equal("options must be a dict, got list", error.Message);
    }

    [Fact]
    public void GetConfiguration_WithoutHandler_UsesTargetsAndSelectValues()
    {
        var options = new Options(
            Option.Integer("cores", 2, target: "worker_cores"),
            Option.Select("size", [("small", (object?)"1 G"), ("large", "4 G")], target: "worker_memory"));

        var configuration = options.GetConfiguration(options.Parse(new Dictionary<string, object?> { ["size"] = "large" }), Alice);

        Assert.Equal(2L, configuration["worker_cores"]);
        Assert.Equal("4 G", configuration["worker_memory"]);
    }

    [Fact]
    public void GetConfiguration_HandlerSeesOptionsAndUser()
    {
        var options = new Options(
            Option.Integer("worker_cores", 1, min: 1, max: 4),
            handler: (values, user) => new Dictionary<string, object?>
            {
                ["worker_cores"] = values.GetInteger("worker_cores") * 2,
                ["environment"] = new Dictionary<string, string> { ["OWNER"] = user.Name },
            });

        var configuration = options.GetConfiguration(options.Parse(new Dictionary<string, object?> { ["worker_cores"] = 3L }), Alice);

        Assert.Equal(6L, configuration["worker_cores"]);
        Assert.Equal("alice", ((Dictionary<string, string>)configuration["environment"]!)["OWNER"]);
    }

    [Fact]
    public void GetConfiguration_OneArgumentHandler_IsSupported()
    {
        var options = new Options(Option.Float("memory", 2), handler: values => new Dictionary<string, object?> { ["worker_memory"] = $"{values.GetFloat("memory")} G" });

        var configuration = options.GetConfiguration(options.Parse(new Dictionary<string, object?>()), Alice);

        Assert.Equal("2 G", configuration["worker_memory"]);
    }

    [Fact]
    public void MappingDefault_IsCopiedForEveryCluster()
    {
        var options = new Options(Option.Mapping("env", new Dictionary<string, object?> { ["A"] = "1" }));

        var first = (Dictionary<string, object?>)options.Parse(new Dictionary<string, object?>())["env"]!;
        first["B"] = "2";
        var second = (IReadOnlyDictionary<string, object?>)options.Parse(new Dictionary<string, object?>())["env"]!;

        Assert.False(second.ContainsKey("B"));
    }

    [Fact]
    public void Fields_RejectInvalidDefinitions()
    {
        Assert.Throws<ArgumentException>(() => Option.Integer("x", 10, max: 4));
        Assert.Throws<ArgumentException>(() => Option.Select("x", Array.Empty<string>()));
        Assert.Throws<ArgumentException>(() => Option.Select("x", ["a"], "b"));
        Assert.Throws<ArgumentException>(() => Option.Float("x", double.NaN));
        Assert.Throws<ArgumentException>(() => new Options(Option.Bool("x"), Option.Bool("x")));
    }

    [Fact]
    public async Task ClusterOptionsSource_FunctionOfUser_IsCalledPerUser()
    {
        ClusterOptionsSource source = (Func<User, Options>)(user => new Options(Option.String("owner", user.Name)));

        var options = await source.GetAsync(Alice);

        Assert.Equal("alice", options.Fields[0].Default);
    }
}
