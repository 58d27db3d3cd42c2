namespace DaskGateway.Auth;

/// <summary>
/// Thrown by an <see cref="Authenticator"/> when the service it needs to check credentials (an
/// identity provider such as JupyterHub) cannot give an answer: it is unreachable, times out or
/// fails. The gateway answers 502 Bad Gateway with <c>{"error": Message}</c>, so that clients and
/// operators see an outage rather than a rejection of the user's credentials.
/// </summary>
/// <remarks>
/// The message is shown to the client: say what failed, not how the service is reached. Credentials
/// that the service judged invalid are an <see cref="AuthenticationException"/> (401) instead.
/// </remarks>
public sealed class AuthenticationUnavailableException : Exception
{
    /// <summary>Creates the exception with the message shown to the client.</summary>
    public AuthenticationUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the message shown to the client and its cause.</summary>
    public AuthenticationUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public AuthenticationUnavailableException()
        : base("The service that checks credentials is unavailable")
    {
    }
}
