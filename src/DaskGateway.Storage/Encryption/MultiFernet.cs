namespace DaskGateway.Storage.Encryption;

/// <summary>
/// Several Fernet keys for key rotation, as Python's <c>MultiFernet</c>: tokens are made with the first
/// key and read with whichever key made them.
/// </summary>
internal sealed class MultiFernet
{
    private readonly Fernet[] _fernets;

    public MultiFernet(IEnumerable<Fernet> fernets)
    {
        ArgumentNullException.ThrowIfNull(fernets);
        _fernets = [.. fernets];
        if (_fernets.Length == 0)
        {
            throw new ArgumentException("MultiFernet needs at least one key.", nameof(fernets));
        }
    }

    /// <summary>How many keys there are.</summary>
    public int Count => _fernets.Length;

    /// <summary>Encrypts with the first key; the token is ASCII.</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext) => _fernets[0].Encrypt(plaintext);

    /// <summary>Decrypts an ASCII token made with any of the keys.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> token, out byte[] plaintext) => TryDecryptData(Fernet.DecodeToken(token), out plaintext);

    /// <summary>Decrypts a token made with any of the keys.</summary>
    public bool TryDecrypt(ReadOnlySpan<char> token, out byte[] plaintext) => TryDecryptData(Fernet.DecodeToken(token), out plaintext);

    private bool TryDecryptData(byte[] data, out byte[] plaintext)
    {
        foreach (var fernet in _fernets)
        {
            if (fernet.TryDecryptData(data, out plaintext))
            {
                return true;
            }
        }

        plaintext = [];
        return false;
    }
}
