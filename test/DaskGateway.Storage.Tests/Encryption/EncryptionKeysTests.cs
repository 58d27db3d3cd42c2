using System.Text;
using DaskGateway.Configuration;
using DaskGateway.Storage.Encryption;

namespace DaskGateway.Tests.Storage.Encryption;

public sealed class EncryptionKeysTests
{
    // 32 bytes whose base64 differs between the alphabets: standard has '+' and '/', URL-safe '-' and '_'.
    private static readonly byte[] KeyBytes = [.. Enumerable.Range(0, 32).Select(i => (byte)(0xF8 + (i * 37)))];
    private static readonly string UrlSafe = Convert.ToBase64String(KeyBytes).Replace('+', '-').Replace('/', '_');
    private static readonly string Standard = Convert.ToBase64String(KeyBytes);

    [Fact]
    public void TestKey_UsesBothAlphabetsCharacters()
    {
        Assert.NotEqual(UrlSafe, Standard);
        Assert.Equal(44, Standard.Length);
    }

    [Fact]
    public void Base64Keys_InEitherAlphabet_NormaliseToUrlSafe()
    {
        Assert.Equal([UrlSafe, UrlSafe], EncryptionKeys.Parse([Standard, UrlSafe]).Keys);
    }

    [Fact]
    public void UpstreamDemoKeys_Parse()
    {
        var keys = EncryptionKeys.Parse(["z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqvg=", "2Ai+D94CX/47LiRv3TLWV+K18TQ3fB1nTz18zmALbc8="]);

        Assert.Equal(["z-hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqvg=", "2Ai-D94CX_47LiRv3TLWV-K18TQ3fB1nTz18zmALbc8="], keys.Keys);
    }

    [Fact]
    public void RawKey_Of32Characters_IsTakenAsItsBytes()
    {
        const string raw = "0123456789abcdef0123456789ABCDEF";

        var keys = EncryptionKeys.Parse([raw]);

        Assert.Equal(Convert.ToBase64String(Encoding.ASCII.GetBytes(raw)).Replace('+', '-').Replace('/', '_'), Assert.Single(keys.Keys));
    }

    [Fact]
    public void EnvironmentValue_SplitsOnSemicolons_StripsAndDropsEmpties()
    {
        var keys = EncryptionKeys.ParseEnvironmentValue($" {Standard} ;;\t{UrlSafe}\n; ;");

        Assert.Equal([UrlSafe, UrlSafe], keys.Keys);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(" ; ;")]
    public void EnvironmentValue_Blank_GivesNoKeys(string? value)
    {
        Assert.Equal(0, EncryptionKeys.ParseEnvironmentValue(value).Count);
    }

    [Fact]
    public void FromEnvironment_ReadsTheVariable()
    {
        var previous = Environment.GetEnvironmentVariable(EncryptionKeys.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(EncryptionKeys.EnvironmentVariable, Standard);
            Assert.Equal([UrlSafe], EncryptionKeys.FromEnvironment().Keys);
        }
        finally
        {
            Environment.SetEnvironmentVariable(EncryptionKeys.EnvironmentVariable, previous);
        }
    }

    [Theory]
    [InlineData("tooshort")]
    [InlineData("0123456789abcdef0123456789ABCDEF0")]
    [InlineData("0123456789abcdef0123456789ABCDE")]
    [InlineData("z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqvg")]
    [InlineData("z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqvg==")]
    [InlineData("z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqv==")]
    [InlineData("z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqv!=")]
    [InlineData("z+hBxgauqbndqCZSqJMsKYI7FDMth6YYGqwnx7Ssqvgg")]
    [InlineData("0123456789abcdef0123456789ABCDE\u00e9")]
    public void WrongKey_GivesUpstreamsError_WithoutTheKey(string key)
    {
        foreach (var parse in new Func<EncryptionKeys>[]
        {
            () => EncryptionKeys.Parse([UrlSafe, key]),
            () => EncryptionKeys.ParseEnvironmentValue($"{UrlSafe};{key}"),
        })
        {
            var error = Assert.Throws<ConfigurationException>(parse);
            Assert.Equal("All keys in `db_encrypt_keys`/`DASK_GATEWAY_ENCRYPT_KEYS` must be 32 bytes, base64-encoded", error.Message);
            Assert.DoesNotContain(key, error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(UrlSafe, error.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ListEntries_AreTakenAsGiven()
    {
        // Upstream checks a configured list without stripping: a padded base64 key is 45 characters.
        Assert.Throws<ConfigurationException>(() => EncryptionKeys.Parse([" " + UrlSafe]));
        Assert.Throws<ConfigurationException>(() => EncryptionKeys.Parse([""]));
    }

    [Fact]
    public void GenerateKey_Is32RandomBytes_InUrlSafeBase64WithPadding()
    {
        var key = EncryptionKeys.GenerateKey();

        Assert.Matches("^[A-Za-z0-9_-]{43}=$", key);
        Assert.Equal(32, Convert.FromBase64String(key.Replace('-', '+').Replace('_', '/')).Length);
        Assert.NotEqual(key, EncryptionKeys.GenerateKey());
        Assert.Equal(key, Assert.Single(EncryptionKeys.Parse([key]).Keys));
    }

    [Fact]
    public void ToString_ShowsNoKeyMaterial()
    {
        var keys = EncryptionKeys.Parse([UrlSafe, Standard]);

        Assert.Equal("2 encryption keys", keys.ToString());
    }
}
