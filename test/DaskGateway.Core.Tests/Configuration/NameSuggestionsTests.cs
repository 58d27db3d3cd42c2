using DaskGateway.Configuration;

namespace DaskGateway.Tests.Configuration;

public sealed class NameSuggestionsTests
{
    [Theory]
    [InlineData("ClusterMaxWorkers", "cluster_max_workers")]
    [InlineData("TlsCert", "tls_cert")]
    [InlineData("WorkerCmd", "worker_cmd")]
    [InlineData("DBUrl", "db_url")]
    [InlineData("K8sApiRateLimit", "k8s_api_rate_limit")]
    [InlineData("Address", "address")]
    [InlineData("JupyterhubApiURL", "jupyterhub_api_url")]
    [InlineData("already_snake", "already_snake")]
    public void ToSnakeCase_FollowsUpstreamNames(string name, string expected)
    {
        Assert.Equal(expected, NameSuggestions.ToSnakeCase(name));
    }

    [Theory]
    [InlineData("Adress", "Address", 1)]
    [InlineData("teh", "the", 1)]
    [InlineData("abc", "abc", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_IsDamerauLevenshtein(string a, string b, int expected)
    {
        Assert.Equal(expected, NameSuggestions.Distance(a, b));
    }

    [Fact]
    public void Closest_KeepsAtMostThreeWithinTheLimit_NearestFirst()
    {
        string[] names = ["Adresses", "Addresses", "Adressx", "Adres", "TcpAddress", "Prefix", "Address"];
        var closest = NameSuggestions.Closest("adress", names.Select(name => (name, name)));

        // "Adresses" is at distance 2 (within max(2, 6/3)) but three names are at distance 1.
        Assert.Equal(["Address", "Adres", "Adressx"], closest);
        Assert.Equal(["Adresses"], NameSuggestions.Closest("adresses", new[] { "Adresses", "Prefix" }.Select(name => (name, name))));
        Assert.Empty(NameSuggestions.Closest("zzzzzz", names.Select(name => (name, name))));
    }

    [Fact]
    public void DidYouMean_JoinsSuggestions()
    {
        Assert.Equal("", NameSuggestions.DidYouMean([]));
        Assert.Equal(" Did you mean 'A'?", NameSuggestions.DidYouMean(["A"]));
        Assert.Equal(" Did you mean 'A', 'B' or 'C'?", NameSuggestions.DidYouMean(["A", "B", "C"]));
    }
}
