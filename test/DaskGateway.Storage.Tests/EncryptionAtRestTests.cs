using System.Text;
using DaskGateway.Configuration;
using DaskGateway.Storage.Encryption;

namespace DaskGateway.Tests.Storage;

public sealed class EncryptionAtRestTests : IAsyncDisposable
{
    private static readonly CancellationToken Ct = TestDatabase.CancellationToken;
    private readonly TestDatabase _db = new();
    private readonly string _keyA = EncryptionKeys.GenerateKey();
    private readonly string _keyB = EncryptionKeys.GenerateKey();
    private readonly string _keyC = EncryptionKeys.GenerateKey();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    /// <summary>The lines of the private key that identify it (everything but the BEGIN/END markers).</summary>
    private static IEnumerable<string> SecretKeyLines =>
        TestRecords.Tls.PrivateKeyPem.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => !line.StartsWith("-----", StringComparison.Ordinal));

    [Fact]
    public async Task TheTokenAndTlsKey_AreNeitherInTheFilesNorInTheRawColumns()
    {
        var store = _db.Open(_keyA);
        var cluster = TestRecords.Cluster("c", withTls: true);
        await store.SaveClusterAsync(cluster, Ct).Timed();

        // While the store is open the row is in the write-ahead log; after closing, in the main file.
        AssertNoSecretInFiles(cluster.Token);
        await TestDatabase.CloseAsync(store);
        AssertNoSecretInFiles(cluster.Token);

        var token = Assert.Single(_db.Blobs("SELECT token FROM clusters"));
        var tls = Assert.Single(_db.Blobs("SELECT tls_credentials FROM clusters"));
        foreach (var column in new[] { token, tls })
        {
            var text = Encoding.Latin1.GetString(column);
            Assert.DoesNotContain(cluster.Token, text, StringComparison.Ordinal);
            Assert.All(SecretKeyLines, line => Assert.DoesNotContain(line, text, StringComparison.Ordinal));
        }

        // The columns are Fernet tokens as upstream writes them: token, and certificate ";" key.
        var encryption = TestDatabase.Encryption(_keyA);
        Assert.True(encryption.TryDecrypt(token, out var plainToken));
        Assert.Equal(cluster.Token, Encoding.UTF8.GetString(plainToken));
        Assert.True(encryption.TryDecrypt(tls, out var plainTls));
        Assert.Equal(cluster.TlsCertificate + ";" + cluster.TlsKey, Encoding.UTF8.GetString(plainTls));
    }

    [Fact]
    public async Task AClusterWithoutTlsCredentials_HasANullColumn()
    {
        var store = _db.Open(_keyA);
        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();
        await TestDatabase.CloseAsync(store);

        Assert.Equal(1, _db.Scalar("SELECT count(*) FROM clusters WHERE tls_credentials IS NULL"));
    }

    [Fact]
    public async Task ACertificateWithoutItsKey_IsRefused()
    {
        var store = _db.Open(_keyA);

        Assert.Throws<ArgumentException>(() => { _ = store.SaveClusterAsync(TestRecords.Cluster("c", withTls: true) with { TlsKey = null }, Ct); });

        Assert.Empty((await store.LoadAsync(Ct).Timed()).Clusters);
    }

    [Fact]
    public async Task KeyRotation_OldRowsReadWithTheOldKey_NewWritesUseTheNewKey()
    {
        // 1. Written with A.
        var first = _db.Open(_keyA);
        var rewritten = TestRecords.Cluster("rewritten", withTls: true);
        await first.SaveClusterAsync(rewritten, Ct).Timed();
        await TestDatabase.CloseAsync(first);

        // 2. Keys [B, A]: A's rows load; a new cluster and a re-saved one are written with B.
        var rotating = _db.Open(_keyB, _keyA);
        Assert.Equal([rewritten], (await rotating.LoadAsync(Ct).Timed()).Clusters);
        var added = TestRecords.Cluster("added", withTls: true);
        rewritten = rewritten with { Count = 7 };
        await rotating.SaveClusterAsync(rewritten, Ct).Timed();
        await rotating.SaveClusterAsync(added, Ct).Timed();
        await TestDatabase.CloseAsync(rotating);

        // 3. Only B: everything loads, so nothing still needs A.
        Assert.Equal([rewritten, added], (await _db.LoadAsync(_keyB)).Clusters);
        var onlyA = TestDatabase.Encryption(_keyA);
        Assert.All(_db.Blobs("SELECT token FROM clusters UNION ALL SELECT tls_credentials FROM clusters"), column => Assert.False(onlyA.TryDecrypt(column, out _)));
    }

    [Fact]
    public async Task RowsNoConfiguredKeyDecrypts_FailTheLoad_WithAClearErrorThatHoldsNoSecret()
    {
        var store = _db.Open(_keyA);
        var cluster = TestRecords.Cluster("c", withTls: true);
        await store.SaveClusterAsync(cluster, Ct).Timed();
        await TestDatabase.CloseAsync(store);

        var wrong = _db.Open(_keyC);
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => wrong.LoadAsync(Ct).Timed());

        Assert.Equal(
            $"cannot decrypt cluster records in {_db.DatabasePath}: the configured key does not match; "
            + "the key that encrypted them is missing from DASK_GATEWAY_ENCRYPT_KEYS",
            error.Message);
        var everythingSaid = error + string.Concat(_db.Logger.Collector.GetSnapshot().Select(r => r.Message + r.Exception));
        foreach (var secret in new[] { _keyA, _keyC, cluster.Token }.Concat(SecretKeyLines))
        {
            Assert.DoesNotContain(secret, everythingSaid, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheErrorCountsTheKeys()
    {
        var store = _db.Open(_keyA);
        await store.SaveClusterAsync(TestRecords.Cluster("c"), Ct).Timed();
        await TestDatabase.CloseAsync(store);

        var wrong = _db.Open(_keyB, _keyC);
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => wrong.LoadAsync(Ct).Timed());

        Assert.Contains("none of the 2 configured keys matches", error.Message, StringComparison.Ordinal);
    }

    private void AssertNoSecretInFiles(string token)
    {
        var files = Directory.GetFiles(_db.DirectoryPath);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var contents = ReadShared(file);
            Assert.DoesNotContain(token, contents, StringComparison.Ordinal);
            Assert.All(SecretKeyLines, line => Assert.DoesNotContain(line, contents, StringComparison.Ordinal));
        }

        // The non-secret columns are there in clear, so the search would have found the secrets.
        Assert.Contains(files, file => ReadShared(file).Contains("tls://127.0.0.1:40001", StringComparison.Ordinal));
    }

    private static string ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return reader.ReadToEnd();
    }
}
