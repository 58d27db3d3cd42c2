using System.Reflection;
using System.Runtime.Loader;

namespace DaskGateway.Scripting;

/// <summary>
/// The one load context of extension assemblies (the <c>*.dll</c> files of the extension directories,
/// the assembly compiled from their <c>*.cs</c> files) and of the compiled config scripts. Every
/// assembly the host ships (the framework and every DaskGateway assembly) comes from the host, so an
/// extension's <c>Authenticator</c> is the gateway's <c>Authenticator</c>; other dependencies are
/// found beside the extensions.
/// </summary>
internal sealed class ExtensionLoadContext : AssemblyLoadContext
{
    private static readonly Lazy<HashSet<string>> HostAssemblyNames = new(ReadHostAssemblyNames);

    private readonly IReadOnlyList<string> _directories;
    private readonly Dictionary<string, Assembly> _loaded = new(StringComparer.OrdinalIgnoreCase);

    public ExtensionLoadContext(IReadOnlyList<string> directories)
        : base("dask-gateway-extensions")
    {
        _directories = directories;
    }

    /// <summary>Whether the host ships an assembly of this simple name (then it is never loaded twice).</summary>
    public static bool IsHostAssembly(string name) =>
        HostAssemblyNames.Value.Contains(name)
        || Default.Assemblies.Any(assembly => string.Equals(assembly.GetName().Name, name, StringComparison.OrdinalIgnoreCase));

    public Assembly LoadFile(string path)
    {
        var assembly = LoadFromAssemblyPath(path);
        Remember(assembly);
        return assembly;
    }

    public Assembly LoadImage(byte[] image, byte[]? symbols)
    {
        using var imageStream = new MemoryStream(image, writable: false);
        using var symbolStream = symbols is null ? null : new MemoryStream(symbols, writable: false);
        var assembly = LoadFromStream(imageStream, symbolStream);
        Remember(assembly);
        return assembly;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var name = assemblyName.Name ?? "";
        if (_loaded.TryGetValue(name, out var loaded))
        {
            return loaded;
        }

        if (IsHostAssembly(name))
        {
            return null;
        }

        foreach (var directory in _directories)
        {
            var candidate = Path.Combine(directory, name + ".dll");
            if (File.Exists(candidate))
            {
                return LoadFile(candidate);
            }
        }

        return null;
    }

    private void Remember(Assembly assembly)
    {
        if (assembly.GetName().Name is { } name)
        {
            _loaded[name] = assembly;
        }
    }

    private static HashSet<string> ReadHostAssemblyNames()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string paths)
        {
            foreach (var path in paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                names.Add(Path.GetFileNameWithoutExtension(path));
            }
        }

        return names;
    }
}
