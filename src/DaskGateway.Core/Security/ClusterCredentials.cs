namespace DaskGateway.Security;

/// <summary>A cluster's TLS certificate and private key, both PEM (the key unencrypted PKCS#8).</summary>
internal sealed record ClusterCredentials(string CertificatePem, string PrivateKeyPem);
