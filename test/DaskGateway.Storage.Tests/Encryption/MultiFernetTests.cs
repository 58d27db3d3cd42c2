using System.Text;
using DaskGateway.Storage.Encryption;

namespace DaskGateway.Tests.Storage.Encryption;

public sealed class MultiFernetTests
{
    [Fact]
    public void Rotation_OldTokensDecrypt_NewTokensUseTheFirstKey()
    {
        var oldKey = EncryptionKeys.GenerateKey();
        var newKey = EncryptionKeys.GenerateKey();
        var oldOnly = EncryptionKeys.Parse([oldKey]).CreateMultiFernet(TimeProvider.System);
        var rotated = EncryptionKeys.Parse([newKey, oldKey]).CreateMultiFernet(TimeProvider.System);

        var oldToken = oldOnly.Encrypt("old secret"u8);
        Assert.True(rotated.TryDecrypt(oldToken, out var oldPlaintext));
        Assert.Equal("old secret", Encoding.UTF8.GetString(oldPlaintext));

        var newToken = rotated.Encrypt("new secret"u8);
        Assert.False(oldOnly.TryDecrypt(newToken, out _));
        Assert.True(new Fernet(newKey, TimeProvider.System).TryDecrypt(newToken, out var newPlaintext));
        Assert.Equal("new secret", Encoding.UTF8.GetString(newPlaintext));
        Assert.True(rotated.TryDecrypt(Encoding.ASCII.GetString(newToken), out _));
    }

    [Fact]
    public void TryDecrypt_UnknownKeyOrGarbage_IsFalse()
    {
        var multi = EncryptionKeys.Parse([EncryptionKeys.GenerateKey(), EncryptionKeys.GenerateKey()]).CreateMultiFernet(TimeProvider.System);
        var stranger = new Fernet(EncryptionKeys.GenerateKey(), TimeProvider.System);

        Assert.False(multi.TryDecrypt(stranger.Encrypt("x"u8), out var plaintext));
        Assert.Empty(plaintext);
        Assert.False(multi.TryDecrypt("not a token", out _));
        Assert.False(multi.TryDecrypt(ReadOnlySpan<byte>.Empty, out _));
    }

    [Fact]
    public void NoKeys_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new MultiFernet([]));
        Assert.Throws<InvalidOperationException>(() => EncryptionKeys.ParseEnvironmentValue("").CreateMultiFernet(TimeProvider.System));
    }
}
