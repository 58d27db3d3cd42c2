// Local processes are managed with POSIX sessions, signals and file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
