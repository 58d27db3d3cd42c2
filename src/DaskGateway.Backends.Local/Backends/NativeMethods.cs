using System.Runtime.InteropServices;

namespace DaskGateway.Backends;

/// <summary>The few POSIX calls .NET does not expose.</summary>
internal static partial class NativeMethods
{
    public const int SignalInterrupt = 2;
    public const int SignalKill = 9;
    public const int SignalTerminate = 15;
    private const int NoSuchProcess = 3;
    private const int NoSuchFile = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "lchown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkChown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MakeDirectory(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RemoveDirectory(string path);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEffectiveUserId();

    /// <summary>Whether a process with this pid exists (signal 0); a process of another user counts as alive.</summary>
    public static bool IsAlive(int pid) => pid > 0 && (Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() != NoSuchProcess);

    /// <summary>Signals a whole process group; false when it no longer exists.</summary>
    public static bool SignalGroup(int processGroup, int signal) => processGroup > 0 && Kill(-processGroup, signal) == 0;

    /// <summary>
    /// Gives <paramref name="path"/> itself to the user: a symbolic link is changed, never what it
    /// points at, so that a link planted by the user cannot hand them a file of someone else.
    /// </summary>
    public static void ChangeOwnerOfEntry(string path, uint user, uint group)
    {
        if (LinkChown(path, user, group) != 0)
        {
            throw new IOException($"Cannot give {path} to uid {user}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Creates a directory that must not exist yet (an existing one, or a link, is an error: it could be someone else's).</summary>
    public static void CreateNewDirectory(string path, UnixFileMode mode)
    {
        if (MakeDirectory(path, (uint)mode) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno == 17 ? $"{path} already exists" : $"Cannot create {path}: errno {errno}");
        }
    }

    /// <summary>Removes an empty directory (never a link's target); false when nothing is there.</summary>
    public static bool RemoveEmptyDirectory(string path)
    {
        if (RemoveDirectory(path) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == NoSuchFile ? false : throw new IOException($"Cannot remove {path}: errno {errno}");
    }
}
