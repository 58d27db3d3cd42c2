using System.Security.Cryptography;
using DaskGateway.Clusters;
using DaskGateway.Security;
using DaskGateway.Storage;

namespace DaskGateway.Tests.Storage;

/// <summary>Records as the gateway would store them.</summary>
internal static class TestRecords
{
    private static readonly Lazy<ClusterCredentials> Credentials = new(() =>
    {
        using var key = RSA.Create(2048);
        return ClusterCredentialFactory.CreateCertificate(key, "test-cluster", DateTimeOffset.UtcNow);
    });

    /// <summary>A real certificate and PKCS#8 key, as a cluster gets them (made once per test run).</summary>
    public static ClusterCredentials Tls => Credentials.Value;

    public static ClusterRecord Cluster(string name, long startTime = 1_700_000_000_000, long? stopTime = null, bool withTls = false) => new(
        Name: name,
        Username: "alice",
        Status: 3,
        Target: 3,
        Count: 2,
        OptionsJson: """{"worker_cores": 2, "environment": {"A": "b"}}""",
        ConfigClass: "DaskGateway.Backends.LocalClusterConfig",
        ConfigJson: """{"worker_cores": 2, "scheduler_memory": 2147483648}""",
        StateJson: """{"pid": 4242, "workdir": "/tmp/dask-gateway/""" + name + "\"}",
        Token: Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        TlsCertificate: withTls ? Tls.CertificatePem : null,
        TlsKey: withTls ? Tls.PrivateKeyPem : null,
        SchedulerAddress: "tls://127.0.0.1:40001",
        DashboardAddress: "http://127.0.0.1:40002",
        ApiAddress: "http://127.0.0.1:40003",
        StartTime: startTime,
        StopTime: stopTime);

    public static WorkerRecord Worker(string clusterName, string name, long startTime = 1_700_000_001_000, long? stopTime = null) => new(
        Name: name,
        ClusterName: clusterName,
        Status: 2,
        Target: 3,
        StateJson: """{"pid": 4343}""",
        StartTime: startTime,
        StopTime: stopTime,
        CloseExpected: stopTime is not null);

    public static ClusterEventRecord Event(string clusterName, long time, string message = "state changed") =>
        new(clusterName, time, "status", message);
}
