using System.Buffers;
using System.Text;
using DaskGateway.Proxy.Tls;
using DaskGateway.Tests.Infrastructure;

namespace DaskGateway.Proxy;

public sealed class ClientHelloParserTests
{
    private const string Name = "daskgateway-6eea4805914e4475a6c7092c0f54f163";

    public static TheoryData<string> Hellos => ["built", "built-sni-first", "built-no-session", "real-tls13", "real-tls12"];

    private static async Task<byte[]> HelloAsync(string kind) => kind switch
    {
        "built" => ClientHelloBuilder.Build(Name),
        "built-sni-first" => ClientHelloBuilder.Build(Name, serverNameFirst: true),
        "built-no-session" => ClientHelloBuilder.Build(Name, sessionIdLength: 0),
        "real-tls13" => await RealClientHello.CaptureAsync(Name),
        "real-tls12" => await RealClientHello.CaptureAsync(Name, System.Security.Authentication.SslProtocols.Tls12),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static ClientHelloStatus Parse(byte[] bytes, out string? name) => ClientHelloParser.Parse(new ReadOnlySequence<byte>(bytes), out name);

    [Theory]
    [MemberData(nameof(Hellos))]
    public async Task WholeHello_GivesTheServerName(string kind)
    {
        var hello = await HelloAsync(kind);

        Assert.Equal(ClientHelloStatus.ServerName, Parse(hello, out var name));
        Assert.Equal(Name, name);
    }

    [Theory]
    [MemberData(nameof(Hellos))]
    public async Task HelloSplitInTwoAtEveryByte_GivesTheSameName(string kind)
    {
        var hello = await HelloAsync(kind);
        for (var split = 1; split < hello.Length; split++)
        {
            var sequence = Segments.Of(hello[..split], hello[split..]);

            Assert.Equal(ClientHelloStatus.ServerName, ClientHelloParser.Parse(sequence, out var name));
            Assert.Equal(Name, name);
        }
    }

    [Theory]
    [MemberData(nameof(Hellos))]
    public async Task HelloOneByteAtATime_NeedsMoreUntilTheLastByte(string kind)
    {
        var hello = await HelloAsync(kind);

        // Every prefix is a valid beginning: the parser asks for more, never misjudges it.
        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, Parse(hello[..length], out _));
        }

        // And as a sequence of one-byte segments, the whole record parses.
        var bytes = Segments.Of([.. hello.Select(b => new[] { b })]);
        Assert.Equal(ClientHelloStatus.ServerName, ClientHelloParser.Parse(bytes, out var name));
        Assert.Equal(Name, name);
    }

    [Fact]
    public async Task BytesAfterTheFirstRecord_AreIgnored()
    {
        var hello = await RealClientHello.CaptureAsync(Name);

        Assert.Equal(ClientHelloStatus.ServerName, Parse([.. hello, 0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5], out var name));
        Assert.Equal(Name, name);
    }

    [Fact]
    public void LargestRecord_Parses_LargerIsNotTls()
    {
        var largest = PaddedTo(ClientHelloParser.MaxRecordLength);
        Assert.Equal(ClientHelloStatus.ServerName, Parse(largest, out _));

        var oversized = PaddedTo(ClientHelloParser.MaxRecordLength + 1);

        // Said as soon as the header is in: nothing more is buffered for it.
        Assert.Equal(ClientHelloStatus.NotTls, Parse(oversized[..5], out _));
        Assert.Equal(ClientHelloStatus.NotTls, Parse(oversized, out _));
    }

    [Fact]
    public void MaxLengthRecordHeader_IsNotTls()
    {
        Assert.Equal(ClientHelloStatus.NotTls, Parse([0x16, 3, 1, 0xFF, 0xFF], out _));
        Assert.Equal(ClientHelloStatus.NotTls, Parse([0x16, 3, 1, 0, 0], out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("G")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]
    [InlineData("\u0017\u0003\u0003\u0000\u0001x")]
    public void PlainTextOrOtherRecords_AreNotTls(string text)
    {
        Assert.Equal(ClientHelloStatus.NotTls, Parse(Encoding.Latin1.GetBytes(text), out _));
    }

    [Fact]
    public void WrongRecordVersionOrHandshakeType_IsNotTls()
    {
        var hello = ClientHelloBuilder.Build(Name);

        Assert.Equal(ClientHelloStatus.NotTls, Parse([0x16, 2], out _));
        var serverHello = (byte[])hello.Clone();
        serverHello[5] = 2;
        Assert.Equal(ClientHelloStatus.NotTls, Parse(serverHello[..6], out _));
        Assert.Equal(ClientHelloStatus.NotTls, Parse(serverHello, out _));
    }

    [Fact]
    public void HelloWithoutServerName_HasNoName()
    {
        Assert.Equal(ClientHelloStatus.NoServerName, Parse(ClientHelloBuilder.Build(null), out var name));
        Assert.Null(name);
        Assert.Equal(ClientHelloStatus.NoServerName, Parse(ClientHelloBuilder.Build(null, withExtensions: false), out _));
    }

    [Fact]
    public async Task RealHelloToAnAddress_HasNoName()
    {
        // Clients send no SNI for an IP address (RFC 6066 §3): such a connection is HTTPS for the gateway.
        var hello = await RealClientHello.CaptureAsync("127.0.0.1");

        Assert.Equal(ClientHelloStatus.NoServerName, Parse(hello, out _));
    }

    [Fact]
    public void TruncatedInsideTheRecord_IsNotTls()
    {
        var hello = ClientHelloBuilder.Build(Name);

        // Shorten the record (and its header's length) at every point: the inner lengths then overrun it.
        for (var length = 6; length < hello.Length; length++)
        {
            var cut = hello[..length];
            cut[3] = (byte)((length - 5) >> 8);
            cut[4] = (byte)(length - 5);
            Assert.Equal(ClientHelloStatus.NotTls, Parse(cut, out _));
        }
    }

    [Theory]
    [InlineData("daskgateway-a b")]
    [InlineData("daskgateway-\u007f")]
    [InlineData("daskgateway-\u0001")]
    public void ServerNameWithControlCharacters_IsNotTls(string name)
    {
        Assert.Equal(ClientHelloStatus.NotTls, Parse(ClientHelloBuilder.Build(name), out _));
    }

    [Fact]
    public void EmptyInput_NeedsMoreData()
    {
        Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloParser.Parse(ReadOnlySequence<byte>.Empty, out _));
    }

    private static byte[] PaddedTo(int recordLength)
    {
        var plain = ClientHelloBuilder.Build(Name);
        var padded = ClientHelloBuilder.Build(Name, paddingLength: recordLength - (plain.Length - 5) - 4);
        Assert.Equal(recordLength, padded.Length - 5);
        return padded;
    }
}
