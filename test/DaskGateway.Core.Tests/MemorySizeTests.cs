using DaskGateway.Configuration;

namespace DaskGateway.Tests;

public sealed class MemorySizeTests
{
    [Theory]
    [InlineData("2 G", 2L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("512M", 512L << 20)]
    [InlineData("  4K ", 4096)]
    [InlineData("1T", 1L << 40)]
    public void Parse_UpstreamStrings_GiveBytes(string text, long bytes)
    {
        Assert.Equal(bytes, MemorySize.Parse(text).Bytes);
    }

    [Theory]
    [InlineData("2GB")]
    [InlineData("1Gi")]
    [InlineData("1024")]
    [InlineData("g")]
    [InlineData("")]
    [InlineData("2g")]
    [InlineData("-1G")]
    public void Parse_OtherStrings_AreErrors(string text)
    {
        Assert.False(MemorySize.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData(2L << 30, "2.00 GiB")]
    [InlineData(1L << 30, "1024.00 MiB")]
    [InlineData(1536L << 20, "1.50 GiB")]
    [InlineData(1000, "1000 B")]
    [InlineData(1024, "1024 B")]
    [InlineData(1025, "1.00 KiB")]
    public void ToString_FormatsLikeUpstream(long bytes, string expected)
    {
        Assert.Equal(expected, new MemorySize(bytes).ToString());
    }
}
