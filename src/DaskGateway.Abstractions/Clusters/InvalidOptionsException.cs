namespace DaskGateway.Clusters;

/// <summary>
/// Cluster options a user sent were rejected; the message is shown to the user (HTTP 422).
/// Option handlers may throw it too, though any exception from a handler is reported the same way.
/// </summary>
public sealed class InvalidOptionsException : Exception
{
    /// <summary>Creates the exception with the message shown to the user.</summary>
    public InvalidOptionsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message shown to the user and its cause.</summary>
    public InvalidOptionsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public InvalidOptionsException()
        : base("Invalid cluster options")
    {
    }
}
