using System.Runtime.InteropServices;

namespace DaskGateway.Security;

/// <summary>Scheduling priority of the gateway's own background threads.</summary>
internal static partial class BackgroundPriority
{
    private const int PriorityOfProcess = 0;
    private const int LowestPriority = 19;

    /// <summary>
    /// Gives the calling thread the lowest priority (on Linux, a thread's nice value): its CPU-bound
    /// work then takes only what starting schedulers and workers leave. Where this cannot be done
    /// the thread keeps its priority; nothing depends on it but speed.
    /// </summary>
    public static void LowerCurrentThread()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetPriority(PriorityOfProcess, GetThreadId(), LowestPriority);
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);
}
