using DaskGateway.Logging;

namespace DaskGateway.Tests.Logging;

public sealed class LogTextTests
{
    [Theory]
    [InlineData("alice", "alice")]
    [InlineData("/api/v1/clusters/", "/api/v1/clusters/")]
    [InlineData("Zoë 数据 🚀", "Zoë 数据 🚀")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void OrdinaryValues_AreLoggedAsTheyAre(string? value, string expected)
    {
        Assert.Equal(expected, LogText.Escape(value));
    }

    [Theory]
    [InlineData("a\r\n[I 2026-01-01 00:00:00.000 DaskGateway.Api] forged", @"a\r\n[I 2026-01-01 00:00:00.000 DaskGateway.Api] forged")]
    [InlineData("tab\there", @"tab\there")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("bell\u0007 esc\u001b[31m", @"bell\u0007 esc\u001b[31m")]
    [InlineData("nel\u0085 ls\u2028 ps\u2029 rlo\u202e", @"nel\u0085 ls\u2028 ps\u2029 rlo\u202e")]
    public void ControlAndInvisibleCharacters_CannotStartALineOrHideText(string value, string expected)
    {
        Assert.Equal(expected, LogText.Escape(value));
    }

    [Fact]
    public void LoneSurrogates_AreEscaped()
    {
        // Built at run time: attribute data cannot hold a lone surrogate.
        Assert.Equal(@"lone\ud800 surrogate", LogText.Escape("lone" + (char)0xD800 + " surrogate"));
        Assert.Equal(@"\udc00 first", LogText.Escape((char)0xDC00 + " first"));
    }

    [Fact]
    public void AMegabyteValue_CannotFillTheLog()
    {
        var escaped = LogText.Escape(new string('a', 1024 * 1024));

        Assert.Equal(new string('a', LogText.MaxLength) + $"...(+{1024 * 1024 - LogText.MaxLength} chars)", escaped);
    }
}
