using System.Text.Json.Nodes;
using DaskGateway.Clusters;

namespace DaskGateway.Backends;

/// <summary>What a backend is told about a cluster it starts, checks or stops.</summary>
public sealed class ClusterInfo
{
    /// <summary>Creates the description of one cluster.</summary>
    public ClusterInfo(string name, string username, string token, ClusterConfig config, string tlsCertificatePem, string tlsKeyPem, string apiUrl, string schedulerAddress, JsonObject state, bool isStopping = false)
    {
        IsStopping = isStopping;
        Name = name;
        Username = username;
        Token = token;
        Config = config;
        TlsCertificatePem = tlsCertificatePem;
        TlsKeyPem = tlsKeyPem;
        ApiUrl = apiUrl;
        SchedulerAddress = schedulerAddress;
        State = state;
    }

    /// <summary>The cluster's name (32 hex digits).</summary>
    public string Name { get; }

    /// <summary>The user who owns the cluster.</summary>
    public string Username { get; }

    /// <summary>The cluster's API token, which the scheduler sends with its heartbeats (<c>DASK_GATEWAY_API_TOKEN</c>).</summary>
    public string Token { get; }

    /// <summary>The cluster's settings.</summary>
    public ClusterConfig Config { get; }

    /// <summary>The cluster's TLS certificate (PEM), shared by scheduler, workers and clients.</summary>
    public string TlsCertificatePem { get; }

    /// <summary>The cluster's TLS private key (PEM, PKCS#8).</summary>
    public string TlsKeyPem { get; }

    /// <summary>The gateway API the scheduler reports to (<c>DASK_GATEWAY_API_URL</c>), ending in <c>/api</c>.</summary>
    public string ApiUrl { get; }

    /// <summary>The scheduler's address once it reported it (<c>tls://host:port</c>), else empty.</summary>
    public string SchedulerAddress { get; }

    /// <summary>
    /// Whether the whole cluster is being stopped (or failed). A backend may then end its workers
    /// without the graceful shutdown a single retired worker gets: nothing of the cluster is kept.
    /// </summary>
    public bool IsStopping { get; }

    /// <summary>What the backend last reported while starting the cluster (a copy; changing it changes nothing).</summary>
    public JsonObject State { get; }
}
