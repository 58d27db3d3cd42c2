namespace DaskGateway.Clusters;

/// <summary>A cluster's TLS certificate and private key, both PEM (the key unencrypted PKCS#8).</summary>
/// <param name="CertificatePem">The certificate the scheduler presents and the client trusts.</param>
/// <param name="PrivateKeyPem">Its private key; shown only to the cluster's owner.</param>
public sealed record ClusterCredentials(string CertificatePem, string PrivateKeyPem);
