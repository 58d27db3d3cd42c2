namespace DaskGateway.Tests.Storage;

internal static class TaskTimeoutExtensions
{
    /// <summary>Waits at most <see cref="TestDatabase.Timeout"/>, and no longer than the test runs.</summary>
    public static Task Timed(this Task task) => task.WaitAsync(TestDatabase.Timeout, TestDatabase.CancellationToken);

    /// <inheritdoc cref="Timed(Task)"/>
    public static Task<T> Timed<T>(this Task<T> task) => task.WaitAsync(TestDatabase.Timeout, TestDatabase.CancellationToken);
}
