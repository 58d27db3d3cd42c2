using System.Runtime.InteropServices;

namespace DaskGateway.Backends;

/// <summary>The few POSIX calls .NET does not expose.</summary>
internal static partial class NativeMethods
{
    public const int SignalInterrupt = 2;
    public const int SignalKill = 9;
    public const int SignalTerminate = 15;
    private const int NoSuchProcess = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    /// <summary>Whether a process with this pid exists (signal 0); a process of another user counts as alive.</summary>
    public static bool IsAlive(int pid) => pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != NoSuchProcess);

    /// <summary>Signals a whole process group; false when it no longer exists.</summary>
    public static bool SignalGroup(int processGroup, int signal) => processGroup > 0 && Kill(-processGroup, signal) == 0;

    public static void ChangeOwner(string path, uint user, uint group)
    {
        if (Chown(path, user, group) != 0)
        {
            throw new IOException($"Cannot give {path} to uid {user}: errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
