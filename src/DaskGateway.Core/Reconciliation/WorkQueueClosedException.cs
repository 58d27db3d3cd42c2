namespace DaskGateway.Reconciliation;

/// <summary>
/// Thrown by <see cref="WorkQueue{TKey}.DequeueAsync"/> once the queue is closed, to waiting
/// consumers and to every later call (upstream's <c>WorkQueueClosed</c>).
/// </summary>
internal sealed class WorkQueueClosedException : InvalidOperationException
{
    public WorkQueueClosedException()
        : base("The work queue is closed.")
    {
    }

    public WorkQueueClosedException(string message)
        : base(message)
    {
    }

    public WorkQueueClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
