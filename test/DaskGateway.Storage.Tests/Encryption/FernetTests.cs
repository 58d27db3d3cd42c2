using System.Globalization;
using System.Text;
using DaskGateway.Storage.Encryption;
using Microsoft.Extensions.Time.Testing;

namespace DaskGateway.Tests.Storage.Encryption;

/// <summary>The published vectors of https://github.com/fernet/spec plus malformed-input checks.</summary>
public sealed class FernetTests
{
    // generate.json / verify.json / invalid.json share this key.
    private const string SpecSecret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    private const string SpecToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";
    private static readonly byte[] SpecIv = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    [Fact]
    public void Generate_MatchesThePublishedToken()
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);
        var now = DateTimeOffset.Parse("1985-10-26T01:20:00-07:00", CultureInfo.InvariantCulture);

        var token = fernet.Encrypt("hello"u8, SpecIv, now);

        Assert.Equal(SpecToken, Encoding.ASCII.GetString(token));
    }

    [Fact]
    public void Verify_DecryptsThePublishedToken()
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);

        Assert.True(fernet.TryDecrypt(SpecToken, out var fromChars));
        Assert.True(fernet.TryDecrypt(Encoding.ASCII.GetBytes(SpecToken), out var fromBytes));
        Assert.Equal("hello", Encoding.UTF8.GetString(fromChars));
        Assert.Equal("hello", Encoding.UTF8.GetString(fromBytes));
    }

    // Every case of invalid.json except "far-future TS (unacceptable clock skew)" and "expired TTL":
    // those two are well-formed tokens that are only invalid under a TTL check, which upstream (and so
    // this implementation) does not make.
    [Theory]
    [InlineData("incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==")]
    [InlineData("too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==")]
    [InlineData("invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==")]
    [InlineData("payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm")]
    [InlineData("payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==")]
    [InlineData("incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==")]
    [InlineData("trailing characters after b64 padding", "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==trailingdata")]
    [InlineData("invalid characters in b64", "*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")]
    [InlineData("invalid non-urlsafe characters in b64", "gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")]
    public void Invalid_PublishedCasesAreRejected(string description, string token)
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);

        Assert.False(fernet.TryDecrypt(token, out var fromChars), description);
        Assert.False(fernet.TryDecrypt(Encoding.ASCII.GetBytes(token), out var fromBytes), description);
        Assert.Empty(fromChars);
        Assert.Empty(fromBytes);
    }

    [Theory]
    [InlineData("far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==")]
    [InlineData("expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==")]
    public void Invalid_TtlOnlyCasesDecrypt_SinceNoTtlIsChecked(string description, string token)
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);

        Assert.True(fernet.TryDecrypt(token, out _), description);
    }

    [Fact]
    public void Encrypt_UsesTheTimeProviderAndARandomIv()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2024-05-06T07:08:09Z", CultureInfo.InvariantCulture));
        var fernet = new Fernet(EncryptionKeys.GenerateKey(), time);

        var first = fernet.Encrypt("secret"u8);
        var second = fernet.Encrypt("secret"u8);

        Assert.NotEqual(first, second);
        var data = Convert.FromBase64String(Encoding.ASCII.GetString(first).Replace('-', '+').Replace('_', '/'));
        Assert.Equal(0x80, data[0]);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(1, 8)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(1000)]
    public void RoundTrip_AnyLength(int length)
    {
        var fernet = new Fernet(EncryptionKeys.GenerateKey(), TimeProvider.System);
        var plaintext = new byte[length];
        Random.Shared.NextBytes(plaintext);

        var token = fernet.Encrypt(plaintext);

        Assert.All(token, b => Assert.True(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'='));
        Assert.Equal(0, token.Length % 4);
        Assert.True(fernet.TryDecrypt(token, out var decrypted));
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public void Token_OfAClusterToken_FitsUpstreamsColumn()
    {
        // The cluster token is a 32-character hex string and the column is binary(140).
        var fernet = new Fernet(EncryptionKeys.GenerateKey(), TimeProvider.System);

        Assert.Equal(140, fernet.Encrypt(Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N"))).Length);
    }

    [Theory]
    [InlineData("")]
    [InlineData("=")]
    [InlineData("====")]
    [InlineData("gA")]
    [InlineData("gAAA")]
    [InlineData(" gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==")]
    [InlineData("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA")]
    [InlineData("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=A")]
    [InlineData("gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=\u00e9")]
    public void TryDecrypt_MalformedInput_IsFalseWithoutThrowing(string token)
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);

        Assert.False(fernet.TryDecrypt(token, out _));
        Assert.False(fernet.TryDecrypt(Encoding.UTF8.GetBytes(token), out _));
    }

    [Fact]
    public void TryDecrypt_WrongVersion_IsFalse()
    {
        var fernet = new Fernet(SpecSecret, TimeProvider.System);
        var data = Convert.FromBase64String(SpecToken.Replace('-', '+').Replace('_', '/'));
        data[0] = 0x81;

        Assert.False(fernet.TryDecrypt(Convert.ToBase64String(data).Replace('+', '-').Replace('/', '_'), out _));
    }

    [Fact]
    public void TryDecrypt_OtherKey_IsFalse()
    {
        var fernet = new Fernet(EncryptionKeys.GenerateKey(), TimeProvider.System);

        Assert.False(fernet.TryDecrypt(SpecToken, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4")]
    [InlineData("cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4=")]
    [InlineData("AAAA")]
    public void Constructor_BadKey_Throws(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => new Fernet(key, TimeProvider.System));
        if (key.Length > 0)
        {
            Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
        }
    }
}
