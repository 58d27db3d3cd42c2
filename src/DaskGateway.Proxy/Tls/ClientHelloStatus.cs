namespace DaskGateway.Proxy.Tls;

/// <summary>What the first bytes of a connection are, as far as SNI routing is concerned.</summary>
internal enum ClientHelloStatus
{
    /// <summary>So far the bytes could begin a TLS record holding a ClientHello; more are needed to tell.</summary>
    NeedMoreData,

    /// <summary>Not a TLS handshake record, or not a well-formed ClientHello within the first record.</summary>
    NotTls,

    /// <summary>A ClientHello without a server name (no <c>server_name</c> extension, or no host name in it).</summary>
    NoServerName,

    /// <summary>A ClientHello naming a server.</summary>
    ServerName,
}
