using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using DaskGateway.Clusters;

namespace DaskGateway.Security;

/// <summary>
/// Makes the per-cluster TLS credentials of protocol.md §3.1. RSA key generation takes a large
/// fraction of a second of a core, so key pairs are made ahead of time on a background thread,
/// while no scheduler or worker is starting (they want the same cores), and no request waits for
/// one unless clusters are created faster than keys can be made.
/// </summary>
internal sealed class ClusterCredentialFactory : IClusterCredentialIssuer, IDisposable
{
    private const int PoolSize = 8;
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);
    private readonly Channel<RSA> _keys = Channel.CreateBounded<RSA>(PoolSize);
    private readonly CancellationTokenSource _stopping = new();
    private readonly AutoResetEvent _wanted = new(false);
    private readonly TimeProvider _timeProvider;
    private Thread? _filler;
    private long _lastActivity = Environment.TickCount64;
    private int _waiting;

    public ClusterCredentialFactory(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    /// <summary>Makes credentials whose certificate names <paramref name="sanName"/> (the cluster name).</summary>
    public async ValueTask<ClusterCredentials> CreateAsync(string sanName, CancellationToken cancellationToken)
    {
        StartFilling();
        if (!_keys.Reader.TryRead(out var key))
        {
            // None left: this request is why a key must be made now, whatever else is starting.
            Interlocked.Increment(ref _waiting);
            try
            {
                _wanted.Set();
                key = await _keys.Reader.ReadAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        using (key)
        {
            return CreateCertificate(key, sanName, _timeProvider.GetUtcNow());
        }
    }

    /// <inheritdoc/>
    public ValueTask<ClusterCredentials> IssueAsync(string clusterName, CancellationToken cancellationToken) => CreateAsync(clusterName, cancellationToken);

    /// <summary>Starts making keys in the background (after a quiet moment), so that the first clusters find them ready.</summary>
    public void StartFilling()
    {
        if (_filler is not null)
        {
            return;
        }

        lock (_keys)
        {
            if (_filler is null)
            {
                _filler = new Thread(Fill) { IsBackground = true, Name = "Cluster key generator" };
                _filler.Start();
            }
        }
    }

    /// <summary>Keys made ahead and not yet used.</summary>
    internal int ReadyKeys => _keys.Reader.Count;

    /// <summary>Keys kept ready at most.</summary>
    internal static int Capacity => PoolSize;

    /// <summary>Something CPU-hungry is starting (a scheduler or a worker): postpone refilling keys.</summary>
    public void NoteActivity() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    public void Dispose()
    {
        _stopping.Cancel();
        _wanted.Set();
        _keys.Writer.TryComplete();
        while (_keys.Reader.TryRead(out var key))
        {
            key.Dispose();
        }

        _stopping.Dispose();
        _wanted.Dispose();
    }

    internal static ClusterCredentials CreateCertificate(RSA key, string sanName, DateTimeOffset now)
    {
        var request = new CertificateRequest("CN=dask-internal", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(sanName);
        names.AddDnsName("dask-internal");
        names.AddDnsName("skein-internal");
        request.CertificateExtensions.Add(names.Build(critical: false));

        // A positive 64-bit random serial, as X.509 requires a positive integer.
        var serial = RandomNumberGenerator.GetBytes(8);
        serial[0] &= 0x7F;
        using var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1), now, now.AddDays(365), serial);
        return new ClusterCredentials(certificate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>
    /// One dedicated thread makes keys: generation is CPU-bound and must not hold thread-pool
    /// threads, and the thread runs at the lowest priority among the gateway's own.
    /// </summary>
    private void Fill()
    {
        BackgroundPriority.LowerCurrentThread();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                // Unless a request waits for a key, make one only once schedulers and workers have
                // stopped starting for a moment: a key takes ~0.1-0.3 s of a core, which a starting
                // Python process wants.
                while (Volatile.Read(ref _waiting) == 0 && Environment.TickCount64 - Interlocked.Read(ref _lastActivity) < (long)QuietPeriod.TotalMilliseconds)
                {
                    _wanted.WaitOne(QuietPeriod);
                    if (_stopping.IsCancellationRequested)
                    {
                        return;
                    }
                }

                var key = RSA.Create(2048);

                // The key is generated lazily on first use; use it here so that the work happens on this thread.
                _ = key.ExportRSAPublicKey();
                while (!_keys.Writer.TryWrite(key))
                {
                    // Blocking is this thread's purpose: it waits for room in the pool.
                    if (!_keys.Writer.WaitToWriteAsync(_stopping.Token).AsTask().GetAwaiter().GetResult())
                    {
                        key.Dispose();
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        catch (ObjectDisposedException)
        {
            // Disposed while waiting.
        }
    }
}
