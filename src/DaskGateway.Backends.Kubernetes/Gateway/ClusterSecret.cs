using System.Diagnostics.CodeAnalysis;
using System.Text;
using DaskGateway.Clusters;
using k8s.Models;

namespace DaskGateway.Backends.Kubernetes.Gateway;

/// <summary>What the gateway needs from a cluster's credentials Secret: the TLS pair for the user and the scheduler's API token.</summary>
internal sealed record ClusterSecret(ClusterCredentials Credentials, string Token)
{
    public const string CertificateKey = "dask.crt";
    public const string PrivateKeyKey = "dask.pem";
    public const string TokenKey = "api-token";

    public static bool TryRead(V1Secret secret, [NotNullWhen(true)] out ClusterSecret? result)
    {
        ArgumentNullException.ThrowIfNull(secret);
        result = null;
        if (secret.Data is not { } data
            || !data.TryGetValue(CertificateKey, out var certificate)
            || !data.TryGetValue(PrivateKeyKey, out var key)
            || !data.TryGetValue(TokenKey, out var token))
        {
            return false;
        }

        result = new ClusterSecret(new ClusterCredentials(Encoding.UTF8.GetString(certificate), Encoding.UTF8.GetString(key)), Encoding.UTF8.GetString(token));
        return true;
    }
}
