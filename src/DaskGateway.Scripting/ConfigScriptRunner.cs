using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using DaskGateway.Configuration;

namespace DaskGateway.Scripting;

/// <summary>
/// Runs config scripts into one <see cref="ConfigObject"/>: compiles each (through the cache or
/// Roslyn), loads it beside the extensions and runs it. A script's compile errors and the exception
/// it throws are added to the errors with their file and line; a script loaded with
/// <c>LoadSubconfig</c> that fails does not stop the script that loaded it.
/// </summary>
internal sealed class ConfigScriptRunner
{
    /// <summary>The method Roslyn emits to run a script submission: <c>Task&lt;object&gt; &lt;Factory&gt;(object[] submissions)</c>.</summary>
    private const string FactoryMethod = "<Factory>";

    private readonly ExtensionLoadContext _context;
    private readonly Func<string, string, CompiledAssembly?> _compile;
    private readonly ConfigErrors _errors;
    private readonly ScriptFrames _frames = new();
    private readonly ConfigObject _config;

    /// <param name="context">Where compiled scripts are loaded.</param>
    /// <param name="compile">Compiles a script (path, text); null when it has errors, which it added.</param>
    /// <param name="config">Where the scripts record values.</param>
    /// <param name="errors">Where problems are added.</param>
    public ConfigScriptRunner(ExtensionLoadContext context, Func<string, string, CompiledAssembly?> compile, GatewayConfig config, ConfigErrors errors)
    {
        _context = context;
        _compile = compile;
        _errors = errors;
        _config = new ConfigObject(config, _frames);
    }

    /// <summary>Runs the script at <paramref name="path"/> (a full path).</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Whatever a config script throws is a configuration error to report with the others.")]
    public void Run(string path)
    {
        if (_frames.IsRunning(path))
        {
            throw new InvalidOperationException($"LoadSubconfig: '{path}' is already being run (the config scripts load each other in a cycle)");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _errors.Add($"{path}: the config file cannot be read: {exception.Message}");
            return;
        }

        if (_compile(path, text) is not { } compiled)
        {
            return;
        }

        var factory = _context.LoadImage(compiled.Image, compiled.Symbols).GetTypes()
            .Select(type => type.GetMethod(FactoryMethod, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .FirstOrDefault(method => method is not null)
            ?? throw new InvalidOperationException($"The compiled config script {path} has no {FactoryMethod} method.");
        _frames.Enter(path);
        try
        {
            object?[] submissions = [new ConfigGlobals(_config, path, LoadSubconfig), null];
            var run = (Task)factory.Invoke(null, [submissions])!;

            // Config scripts are synchronous in practice; one that awaits is waited for here, on a
            // thread without a synchronization context.
            run.GetAwaiter().GetResult();
        }
        catch (Exception exception)
        {
            var thrown = exception is TargetInvocationException { InnerException: { } inner } ? inner : exception;
            _errors.Add($"the config script threw {thrown.GetType().Name}: {thrown.Message}", _frames.SourceOf(thrown));
        }
        finally
        {
            _frames.Exit(path);
        }
    }

    private void LoadSubconfig(string from, string path)
    {
        var full = Path.GetFullPath(path, Path.GetDirectoryName(from)!);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"LoadSubconfig: '{full}' does not exist", full);
        }

        Run(full);
    }
}
