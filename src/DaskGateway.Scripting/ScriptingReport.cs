namespace DaskGateway.Scripting;

/// <summary>What loading extensions and running the config script did, for the gateway's log.</summary>
internal sealed class ScriptingReport
{
    /// <summary>Each extension assembly (a <c>.dll</c> file, or the sources compiled together) and the configurable classes it provided.</summary>
    public List<(string Origin, IReadOnlyList<Type> Types)> Extensions { get; } = [];

    /// <summary>Extension <c>.dll</c> files skipped because the gateway ships an assembly of that name.</summary>
    public List<string> SkippedHostAssemblies { get; } = [];

    /// <summary>Config scripts and extension sources compiled (Roslyn was loaded).</summary>
    public int Compiled { get; set; }

    /// <summary>Compiled assemblies taken from the compilation cache.</summary>
    public int FromCache { get; set; }

    public TimeSpan Elapsed { get; set; }
}
