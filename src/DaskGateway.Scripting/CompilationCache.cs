using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DaskGateway.Scripting;

/// <summary>
/// Compiled extensions and config scripts on disk, keyed by a hash of everything the compiler saw
/// (sources, their paths, the referenced DaskGateway and extension assemblies, the runtime), so that
/// a gateway restarted with unchanged files does not load the compiler at all. Directory:
/// <c>DASK_GATEWAY_COMPILE_CACHE</c> (<c>off</c> disables it), else <c>$XDG_CACHE_HOME/dask-gateway</c>,
/// else <c>~/.cache/dask-gateway</c>. A cache that cannot be written is not used.
/// </summary>
internal sealed class CompilationCache
{
    public const string EnvironmentVariable = "DASK_GATEWAY_COMPILE_CACHE";

    /// <summary>Entries kept; older ones are removed when a new one is written.</summary>
    private const int MaxEntries = 64;

    private readonly string? _directory;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CompilationCache(string? directory)
    {
        _directory = directory;
    }

    public bool IsEnabled => _directory is not null;

    public static CompilationCache FromEnvironment()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (configured is not null)
        {
            return new CompilationCache(configured.Trim() is "" or "off" or "0" or "false" ? null : configured);
        }

        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cacheHome
            ? cacheHome
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache") : null;
        return new CompilationCache(root is null ? null : Path.Combine(root, "dask-gateway", "compiled"));
    }

    /// <summary>A key from the parts (hashed with their order and boundaries).</summary>
    public static string Key(IEnumerable<string> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(part));
            hash.AppendData([0]);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The compiled assembly stored under <paramref name="key"/>. Each key is served once per process:
    /// loading one image twice would load two assemblies of one name.
    /// </summary>
    public CompiledAssembly? TryGet(string key)
    {
        if (_directory is null || !_used.Add(key))
        {
            return null;
        }

        try
        {
            var image = File.ReadAllBytes(Path.Combine(_directory, key + ".dll"));
            var symbols = File.ReadAllBytes(Path.Combine(_directory, key + ".pdb"));
            var stems = JsonSerializer.Deserialize<Dictionary<string, string[]>>(File.ReadAllText(Path.Combine(_directory, key + ".json")));
            return stems is null ? null : new CompiledAssembly(image, symbols, stems);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Stores <paramref name="compiled"/>; the metadata file is written last, so a partial entry is never read.</summary>
    public void Put(string key, CompiledAssembly compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        if (_directory is null)
        {
            return;
        }

        _used.Add(key);
        try
        {
            // Whoever can write here can put code into the gateway: the directory is the owner's alone.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(_directory);
            }
            else
            {
                Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Write(key + ".dll", compiled.Image);
            Write(key + ".pdb", compiled.Symbols);
            Write(key + ".json", JsonSerializer.SerializeToUtf8Bytes(compiled.FileStems));
            Prune();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs the next start a compilation.
        }

        void Prune()
        {
            var stale = new DirectoryInfo(_directory).EnumerateFiles("*.json")
                .OrderByDescending(file => file.LastWriteTimeUtc)
                .Skip(MaxEntries);
            foreach (var entry in stale)
            {
                var stem = Path.GetFileNameWithoutExtension(entry.Name);
                entry.Delete();
                File.Delete(Path.Combine(_directory, stem + ".dll"));
                File.Delete(Path.Combine(_directory, stem + ".pdb"));
            }
        }

        void Write(string name, byte[] bytes)
        {
            var temporary = Path.Combine(_directory, $"{name}.{Environment.ProcessId}.tmp");
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, Path.Combine(_directory, name), overwrite: true);
        }
    }
}
