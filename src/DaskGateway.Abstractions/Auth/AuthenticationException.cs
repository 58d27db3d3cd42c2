namespace DaskGateway.Auth;

/// <summary>
/// Thrown by an <see cref="Authenticator"/> to reject a request. The gateway answers
/// 401 with <c>{"error": Message}</c> and the authenticator's challenge.
/// </summary>
public sealed class AuthenticationException : Exception
{
    /// <summary>Creates the exception with the message shown to the client.</summary>
    public AuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message shown to the client and its cause.</summary>
    public AuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public AuthenticationException()
        : base("Authentication required")
    {
    }
}
