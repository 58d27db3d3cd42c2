namespace DaskGateway.Proxy.Sni;

/// <summary>What became of a connection on a public listener.</summary>
internal enum ConnectionOutcome
{
    /// <summary>Not for a scheduler: handed to the HTTP(S) pipeline with every byte intact.</summary>
    Http,

    /// <summary>Piped to a scheduler until both directions ended.</summary>
    Proxied,

    /// <summary>Piped to a scheduler until one side failed or the gateway shut down; both were closed.</summary>
    ProxyAborted,

    /// <summary>SNI <c>daskgateway-&lt;name&gt;</c> of no running cluster: closed, nothing written.</summary>
    UnknownCluster,

    /// <summary>On a listener for schedulers only, anything but a <c>daskgateway-</c> ClientHello: closed.</summary>
    NotForScheduler,

    /// <summary>The client did not send its first record within the handshake timeout: closed.</summary>
    HandshakeTimeout,

    /// <summary>The client closed before sending a whole first record.</summary>
    ClientClosed,

    /// <summary>The route's scheduler could not be reached: closed.</summary>
    SchedulerUnreachable,

    /// <summary>Something unexpected went wrong; logged and closed.</summary>
    Failed,
}
