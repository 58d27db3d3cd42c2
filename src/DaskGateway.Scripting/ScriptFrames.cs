using System.Diagnostics;
using DaskGateway.Configuration;

namespace DaskGateway.Scripting;

/// <summary>
/// The config scripts being run, so that a recorded value can name the script line it comes from:
/// the innermost stack frame in one of them (scripts are compiled with debug information and their
/// file path).
/// </summary>
internal sealed class ScriptFrames
{
    private readonly List<string> _running = [];

    /// <summary>The innermost script being run, if any.</summary>
    public string? Current => _running.Count > 0 ? _running[^1] : null;

    public bool IsRunning(string path) => _running.Contains(path, StringComparer.Ordinal);

    public void Enter(string path) => _running.Add(path);

    public void Exit(string path) => _running.RemoveAt(_running.LastIndexOf(path));

    /// <summary>The script line that called into the config object, or code when no script runs.</summary>
    public SettingSource CallerSource() => SourceOf(new StackTrace(1, fNeedFileInfo: true));

    /// <summary>Where in a script <paramref name="exception"/> was thrown, or the current script.</summary>
    public SettingSource SourceOf(Exception exception) => SourceOf(new StackTrace(exception, fNeedFileInfo: true));

    private SettingSource SourceOf(StackTrace trace)
    {
        foreach (var frame in trace.GetFrames())
        {
            if (frame.GetFileName() is { } file && IsRunning(file) && frame.GetFileLineNumber() > 0)
            {
                return SettingSource.File(file, frame.GetFileLineNumber());
            }
        }

        return Current is { } current ? SettingSource.File(current, 0) : SettingSource.Code;
    }
}
