using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Text;
using DaskGateway.Configuration;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.CodeAnalysis.Text;

namespace DaskGateway.Scripting;

/// <summary>
/// Compiles extension sources and config scripts with Roslyn. Only this class touches Roslyn, so the
/// compiler is loaded only when there is something to compile.
/// </summary>
internal sealed class RoslynCompiler
{
    /// <summary>What every script can use without a using directive.</summary>
    public static readonly string[] ScriptImports =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Threading.Tasks",
        "DaskGateway.Auth", "DaskGateway.Clusters", "DaskGateway.Backends", "DaskGateway.Configuration",
    ];

    /// <summary>The implicit usings of an SDK project, so that a file compiles alone as in a class library.</summary>
    private const string ExtensionGlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private const int MaxDiagnosticsPerCompilation = 50;

    private readonly List<MetadataReference> _references;

    /// <param name="hostAssemblies">The DaskGateway assemblies extensions and scripts may use.</param>
    /// <param name="extensionAssemblyFiles">Extension <c>*.dll</c> files.</param>
    public RoslynCompiler(IEnumerable<Assembly> hostAssemblies, IEnumerable<string> extensionAssemblyFiles)
    {
        var files = new List<string>();
        foreach (var directory in FrameworkDirectories())
        {
            files.AddRange(Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal));
        }

        files.AddRange(hostAssemblies.Select(assembly => assembly.Location).Where(location => location.Length > 0));
        files.AddRange(extensionAssemblyFiles);
        _references = [.. files.Distinct(StringComparer.Ordinal).Select(file => MetadataReference.CreateFromFile(file))];
    }

    /// <summary>The runtime's and ASP.NET Core's shared framework directories.</summary>
    public static IEnumerable<string> FrameworkDirectories() =>
        new[] { typeof(object).Assembly.Location, typeof(Microsoft.AspNetCore.Http.HttpContext).Assembly.Location }
            .Select(location => Path.GetDirectoryName(location)!)
            .Distinct(StringComparer.Ordinal);

    /// <summary>Lets scripts use the assembly compiled from the extension sources.</summary>
    public void AddReference(CompiledAssembly compiled) => _references.Add(MetadataReference.CreateFromImage(compiled.Image));

    /// <summary>Compiles every extension source into one assembly; null (with errors added) when it does not compile.</summary>
    public CompiledAssembly? CompileExtensions(IReadOnlyList<string> files, string assemblyName, ConfigErrors errors)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(ExtensionGlobalUsings, parseOptions, "<implicit usings>", Encoding.UTF8) };
        foreach (var file in files)
        {
            try
            {
                using var stream = File.OpenRead(file);
                trees.Add(CSharpSyntaxTree.ParseText(SourceText.From(stream, Encoding.UTF8), parseOptions, file));
            }
            catch (IOException exception)
            {
                errors.Add($"{file}: cannot be read: {exception.Message}");
            }
        }

        var compilation = CSharpCompilation.Create(
            assemblyName,
            trees,
            _references,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
        if (Emit(compilation, errors) is not { } emitted)
        {
            return null;
        }

        var stems = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var tree in trees.Skip(1))
        {
            var model = compilation.GetSemanticModel(tree);
            var stem = Path.GetFileNameWithoutExtension(tree.FilePath);
            foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<BaseTypeDeclarationSyntax>())
            {
                if (model.GetDeclaredSymbol(declaration) is { } symbol)
                {
                    var name = MetadataName(symbol);
                    if (!stems.TryGetValue(name, out var list))
                    {
                        stems[name] = list = [];
                    }

                    if (!list.Contains(stem, StringComparer.Ordinal))
                    {
                        list.Add(stem);
                    }
                }
            }
        }

        return emitted with { FileStems = stems.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal) };
    }

    /// <summary>Compiles a config script with <see cref="ConfigGlobals"/> as its globals; null (with errors added) when it does not compile.</summary>
    public CompiledAssembly? CompileScript(string path, string text, ConfigErrors errors)
    {
        var directory = Path.GetDirectoryName(path)!;
        var options = ScriptOptions.Default
            .WithFilePath(path)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithOptimizationLevel(OptimizationLevel.Debug)
            .WithReferences(_references)
            .WithImports(ScriptImports)
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(directory))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(directory));
        var script = CSharpScript.Create(text, options, typeof(ConfigGlobals));
        return Emit(script.GetCompilation(), errors);
    }

    private static CompiledAssembly? Emit(Compilation compilation, ConfigErrors errors)
    {
        using var image = new MemoryStream();
        using var symbols = new MemoryStream();
        var result = compilation.Emit(image, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        var failures = result.Diagnostics
            .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
            .OrderBy(diagnostic => diagnostic.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(diagnostic => diagnostic.Location.SourceSpan.Start)
            .ToList();
        foreach (var diagnostic in failures.Take(MaxDiagnosticsPerCompilation))
        {
            errors.Add(Format(diagnostic));
        }

        if (failures.Count > MaxDiagnosticsPerCompilation)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"... and {failures.Count - MaxDiagnosticsPerCompilation} more compile errors"));
        }

        return result.Success && failures.Count == 0
            ? new CompiledAssembly(image.ToArray(), symbols.ToArray(), ImmutableDictionary<string, string[]>.Empty)
            : null;
    }

    /// <summary><c>path:line:column: error CS1002: ; expected</c>, with a hint for the usual mistakes.</summary>
    internal static string Format(Diagnostic diagnostic)
    {
        var message = diagnostic.GetMessage(CultureInfo.InvariantCulture);
        var text = $"error {diagnostic.Id}: {message}{Hint(diagnostic.Id, message)}";
        if (!diagnostic.Location.IsInSource)
        {
            return text;
        }

        var span = diagnostic.Location.GetMappedLineSpan();
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{span.Path}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}: {text}");
    }

    private static string Hint(string id, string message) =>
        id is "CS1660" or "CS0428" or "CS1977" or "CS1976" && message.Contains("dynamic", StringComparison.Ordinal)
            ? " (a lambda or a method assigned to a setting needs a delegate type: "
              + "c.Backend.ClusterOptions = (Func<User, Options>)(user => ...), or (Func<User, Options>)MyMethod)"
            : "";

    /// <summary>The name reflection knows a type by: <c>Namespace.Outer+Inner`1</c>.</summary>
    private static string MetadataName(INamedTypeSymbol symbol)
    {
        if (symbol.ContainingType is { } outer)
        {
            return MetadataName(outer) + "+" + symbol.MetadataName;
        }

        return symbol.ContainingNamespace is { IsGlobalNamespace: false } ns
            ? ns.ToDisplayString() + "." + symbol.MetadataName
            : symbol.MetadataName;
    }
}
