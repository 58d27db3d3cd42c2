using System.Diagnostics;
using System.Reflection;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Configuration;

namespace DaskGateway.Scripting;

/// <summary>
/// The configuration front end: loads the extension directories (assemblies, then sources compiled
/// into one assembly), registers their configurable classes, then runs the config script, which
/// records into the <see cref="GatewayConfig"/>. Nothing is validated here; every problem is added to
/// the errors for the gateway to report with the others.
/// </summary>
internal static class ScriptedConfiguration
{
    /// <summary>The base classes whose public concrete subclasses in extensions are registered as configurable.</summary>
    public static readonly Type[] ExtensionBaseTypes = [typeof(Authenticator), typeof(Backend), typeof(ClusterConfig)];

    /// <param name="configFile">The config script (a full path), or null.</param>
    /// <param name="sources">The extension directories and their files.</param>
    /// <param name="hostAssemblies">The DaskGateway assemblies that extensions and scripts compile against.</param>
    /// <param name="cache">Where compiled assemblies are kept between starts.</param>
    /// <param name="config">Where the script records values.</param>
    /// <param name="types">Where extension classes are registered.</param>
    /// <param name="errors">Where problems are added.</param>
    public static ScriptingReport Load(
        string? configFile,
        ExtensionSources sources,
        IReadOnlyList<Assembly> hostAssemblies,
        CompilationCache cache,
        GatewayConfig config,
        ConfigurableTypes types,
        ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(hostAssemblies);
        ArgumentNullException.ThrowIfNull(cache);
        var watch = Stopwatch.StartNew();
        var report = new ScriptingReport();
        var context = new ExtensionLoadContext(sources.Directories);
        var assemblyFiles = new List<string>();
        var keyParts = new List<string> { Environment.Version.ToString() };
        keyParts.AddRange(hostAssemblies.Append(typeof(ScriptedConfiguration).Assembly).Select(Identity));
        foreach (var file in sources.AssemblyFiles)
        {
            if (LoadAssemblyFile(file, context, errors, report) is { } assembly)
            {
                assemblyFiles.Add(file);
                keyParts.Add(file);
                keyParts.Add(Identity(assembly));
                Register(assembly, file, _ => [Path.GetFileNameWithoutExtension(file)], types, errors, report);
            }
        }

        var compiler = new Lazy<CompilerSession>(() => new CompilerSession(hostAssemblies, assemblyFiles, report));
        CompiledAssembly? extensions = null;
        if (sources.SourceFiles.Count > 0)
        {
            foreach (var file in sources.SourceFiles)
            {
                keyParts.Add(file);
                keyParts.Add(ReadOrEmpty(file));
            }

            var key = CompilationCache.Key(keyParts.Prepend("extensions"));
            extensions = cache.TryGet(key);
            if (extensions is not null)
            {
                report.FromCache++;
            }
            else if ((extensions = compiler.Value.CompileExtensions(sources.SourceFiles, errors)) is not null)
            {
                cache.Put(key, extensions);
            }

            if (extensions is not null)
            {
                var assembly = context.LoadImage(extensions.Image, extensions.Symbols);
                keyParts.Add(key);
                var origin = string.Join(", ", sources.SourceFiles.Select(Path.GetFileName));
                var stems = extensions.FileStems;
                Register(assembly, origin, type => stems.TryGetValue(type.FullName ?? type.Name, out var found) ? found : [], types, errors, report);
            }
        }

        if (configFile is not null)
        {
            var runner = new ConfigScriptRunner(context, CompileScript, config, errors);
            runner.Run(configFile);
        }

        report.Elapsed = watch.Elapsed;
        return report;

        CompiledAssembly? CompileScript(string path, string text)
        {
            // #load and #r bring in files the key does not cover: such scripts are always compiled.
            var cacheable = !text.Contains("#load", StringComparison.Ordinal) && !text.Contains("#r", StringComparison.Ordinal);
            var key = CompilationCache.Key(keyParts.Prepend("script").Append(path).Append(text));
            if (cacheable && cache.TryGet(key) is { } cached)
            {
                report.FromCache++;
                return cached;
            }

            var compiled = compiler.Value.CompileScript(path, text, extensions, errors);
            if (compiled is not null && cacheable)
            {
                cache.Put(key, compiled);
            }

            return compiled;
        }
    }

    private static Assembly? LoadAssemblyFile(string file, ExtensionLoadContext context, ConfigErrors errors, ScriptingReport report)
    {
        try
        {
            var name = AssemblyName.GetAssemblyName(file).Name ?? "";
            if (ExtensionLoadContext.IsHostAssembly(name))
            {
                report.SkippedHostAssemblies.Add(file);
                return null;
            }

            return context.LoadFile(file);
        }
        catch (BadImageFormatException)
        {
            errors.Add($"{file}: not a .NET assembly; extension directories may hold only .NET assemblies (*.dll) and C# sources (*.cs)");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{file}: the extension assembly cannot be loaded: {exception.Message}");
        }

        return null;
    }

    /// <summary>Registers the public concrete authenticator, backend and cluster config classes of an extension assembly.</summary>
    private static void Register(Assembly assembly, string origin, Func<Type, IEnumerable<string>> stems, ConfigurableTypes types, ConfigErrors errors, ScriptingReport report)
    {
        Type[] exported;
        try
        {
            exported = assembly.GetExportedTypes();
        }
        catch (Exception exception) when (exception is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
        {
            var causes = exception is ReflectionTypeLoadException { LoaderExceptions: var loader }
                ? string.Join("; ", loader.Where(cause => cause is not null).Select(cause => cause!.Message).Distinct(StringComparer.Ordinal))
                : exception.Message;
            errors.Add($"{origin}: the extension's types cannot be loaded: {causes}");
            return;
        }

        var registered = new List<Type>();
        foreach (var type in exported.Where(IsExtensionClass))
        {
            types.Register(type);
            foreach (var stem in stems(type))
            {
                types.RegisterAlias($"{stem}.{type.Name}", type);
            }

            registered.Add(type);
        }

        report.Extensions.Add((origin, registered));
    }

    private static bool IsExtensionClass(Type type) =>
        type is { IsClass: true, IsAbstract: false, ContainsGenericParameters: false }
        && ExtensionBaseTypes.Any(baseType => baseType.IsAssignableFrom(type));

    private static string Identity(Assembly assembly) => $"{assembly.GetName().Name} {assembly.ManifestModule.ModuleVersionId}";

    private static string ReadOrEmpty(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>The Roslyn compiler, made on first use; its methods' signatures keep Roslyn types out of the callers.</summary>
    private sealed class CompilerSession(IReadOnlyList<Assembly> hostAssemblies, IReadOnlyList<string> assemblyFiles, ScriptingReport report)
    {
        private object? _compiler;
        private bool _hasExtensionReference;

        public CompiledAssembly? CompileExtensions(IReadOnlyList<string> files, ConfigErrors errors)
        {
            report.Compiled++;
            return Compiler().CompileExtensions(files, "dask-gateway-extensions", errors);
        }

        public CompiledAssembly? CompileScript(string path, string text, CompiledAssembly? extensions, ConfigErrors errors)
        {
            report.Compiled++;
            var compiler = Compiler();
            if (extensions is not null && !_hasExtensionReference)
            {
                compiler.AddReference(extensions);
                _hasExtensionReference = true;
            }

            return compiler.CompileScript(path, text, errors);
        }

        private RoslynCompiler Compiler() => (RoslynCompiler)(_compiler ??= new RoslynCompiler(hostAssemblies, assemblyFiles));
    }
}
