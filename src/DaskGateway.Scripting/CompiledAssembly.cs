namespace DaskGateway.Scripting;

/// <summary>
/// An assembly compiled from extension sources or from a config script: its image, its portable PDB
/// (so that stack traces name source lines), and for extensions the file stems each type is declared
/// in (by metadata name, for <c>&lt;file stem&gt;.&lt;type&gt;</c>).
/// </summary>
internal sealed record CompiledAssembly(byte[] Image, byte[] Symbols, IReadOnlyDictionary<string, string[]> FileStems);
