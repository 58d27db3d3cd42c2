using System.Runtime.InteropServices;

namespace DaskGateway.Auth;

/// <summary>
/// Environment variables that native libraries see. On Linux, <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes only .NET's copy of the environment, so libkrb5 (which reads <c>KRB5_KTNAME</c>,
/// <c>KRB5_CONFIG</c> and <c>KRB5CCNAME</c> with <c>getenv</c>) would never notice; this sets both.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets (or, with <see langword="null"/>, removes) a variable for .NET and for native code.</summary>
    public static void Set(string name, string? value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
        {
            return;
        }

        var result = value is null ? UnsetEnv(name) : SetEnv(name, value, 1);
        if (result != 0)
        {
            throw new InvalidOperationException($"Cannot set the environment variable {name}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "unsetenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnsetEnv(string name);
}
