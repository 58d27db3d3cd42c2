using DaskGateway.Clusters;

namespace DaskGateway.Tests.Clusters;

public sealed class PythonFormatTests
{
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(9.5, "9.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.25, "-2.25")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(123456789.125, "123456789.125")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(1e300, "1e+300")]
    [InlineData(0.0, "0.0")]
    public void Float_IsPythonsRepr(double value, string expected)
    {
        Assert.Equal(expected, PythonFormat.Float(value));
    }

    [Fact]
    public void Repr_QuotesLikePython()
    {
        Assert.Equal("'abc'", PythonFormat.Repr("abc"));
        Assert.Equal("\"it's\"", PythonFormat.Repr("it's"));
        Assert.Equal("None", PythonFormat.Repr(null));
        Assert.Equal("True", PythonFormat.Repr(true));
        Assert.Equal("['a', 1]", PythonFormat.Repr(new List<object?> { "a", 1L }));
        Assert.Equal("{'a': 1.0}", PythonFormat.Repr(new Dictionary<string, object?> { ["a"] = 1.0 }));
    }

    [Fact]
    public void HugeValues_AreCutInMessages_NotEchoedWhole()
    {
        var huge = new string('7', 1_000_000);
        var many = Enumerable.Range(0, 100_000).Select(i => (object?)$"field{i}").ToList();

        Assert.Equal(new string('7', PythonFormat.MaxLength) + "...", PythonFormat.Str(huge));
        Assert.Equal("'" + new string('7', PythonFormat.MaxLength - 1) + "...", PythonFormat.Repr(huge));
        Assert.StartsWith("['field0', 'field1', ", PythonFormat.Repr(many), StringComparison.Ordinal);
        Assert.Equal(PythonFormat.MaxLength + 3, PythonFormat.Repr(many).Length);
        Assert.Equal(PythonFormat.MaxLength + 3, PythonFormat.Str(System.Numerics.BigInteger.Pow(10, 4000)).Length);
    }

    [Fact]
    public void ValuesUpToTheLimit_AreRenderedWhole()
    {
        var longest = new string('x', PythonFormat.MaxLength - 2);

        Assert.Equal("'" + longest + "'", PythonFormat.Repr(longest));
        Assert.Equal("100000000000000000000000", PythonFormat.Str(System.Numerics.BigInteger.Pow(10, 23)));
    }
}
