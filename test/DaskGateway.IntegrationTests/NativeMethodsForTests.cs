using System.Runtime.InteropServices;

namespace DaskGateway.Backends;

/// <summary>kill -9, as an operator or the kernel's OOM killer would.</summary>
internal static partial class NativeMethodsForTests
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillProcess(int pid, int signal);

    public static void Kill(int pid) => Assert.Equal(0, KillProcess(pid, 9));

    /// <summary>kill -9 that ignores a process already gone.</summary>
    public static void TryKill(int pid) => _ = KillProcess(pid, 9);
}
