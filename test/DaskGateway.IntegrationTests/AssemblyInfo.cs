// Real scheduler and worker processes: every test in one collection, one at a time, so that 2 cores stay enough.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

// Real Dask processes, POSIX users and signals.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
