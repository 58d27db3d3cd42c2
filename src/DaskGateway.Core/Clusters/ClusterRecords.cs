using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaskGateway.Configuration;
using DaskGateway.Json;
using DaskGateway.Storage;

namespace DaskGateway.Clusters;

/// <summary>Converts clusters and workers to and from their stored records.</summary>
internal sealed class ClusterRecords
{
    private readonly SettingsBinder _binder;
    private readonly ConfigurableTypes _types;

    public ClusterRecords(ConfigurableTypes types)
    {
        _types = types;

        // Stored configs are complete: they are restored from their own values, not the current config file.
        _binder = new SettingsBinder(new GatewayConfig(), types);
    }

    public static ClusterRecord ToRecord(Cluster cluster)
    {
        lock (cluster.SyncRoot)
        {
            return new ClusterRecord(
                cluster.Name,
                cluster.Username,
                (int)cluster.Status,
                (int)cluster.Target,
                cluster.Count,
                ToJson(cluster.Options),
                cluster.Config.GetType().FullName!,
                ClusterConfigJson.Write(cluster.Config).ToJsonString(),
                cluster.State.ToJsonString(),
                cluster.Token,
                cluster.Credentials?.CertificatePem,
                cluster.Credentials?.PrivateKeyPem,
                cluster.SchedulerAddress,
                cluster.DashboardAddress,
                cluster.ApiAddress,
                cluster.StartTime,
                cluster.StopTime);
        }
    }

    public static WorkerRecord ToRecord(Worker worker)
    {
        lock (worker.Cluster.SyncRoot)
        {
            return new WorkerRecord(
                worker.Name,
                worker.Cluster.Name,
                (int)worker.Status,
                (int)worker.Target,
                worker.State.ToJsonString(),
                worker.StartTime,
                worker.StopTime,
                worker.CloseExpected);
        }
    }

    /// <summary>Rebuilds a stored cluster; a config class that no longer exists is reported as an error.</summary>
    public Cluster FromRecord(ClusterRecord record)
    {
        var options = record.OptionsJson.Length == 0
            ? new Dictionary<string, object?>()
            : JsonValues.ToDictionary(JsonDocument.Parse(record.OptionsJson).RootElement);
        var cluster = new Cluster(record.Name, record.Username, record.Token, options, ConfigFromJson(record.ConfigClass, record.ConfigJson), record.StartTime)
        {
            Status = (JobStatus)record.Status,
            Target = (JobStatus)record.Target,
            Count = record.Count,
            State = ParseState(record.StateJson),
            SchedulerAddress = record.SchedulerAddress,
            DashboardAddress = record.DashboardAddress,
            ApiAddress = record.ApiAddress,
            StopTime = record.StopTime,
        };
        if (record.TlsCertificate is { } certificate && record.TlsKey is { } key)
        {
            cluster.Credentials = new ClusterCredentials(certificate, key);
        }

        return cluster;
    }

    public static Worker FromRecord(WorkerRecord record, Cluster cluster) => new(record.Name, cluster, record.StartTime)
    {
        Status = (JobStatus)record.Status,
        Target = (JobStatus)record.Target,
        State = ParseState(record.StateJson),
        StopTime = record.StopTime,
        CloseExpected = record.CloseExpected,
    };

    public static string ToJson(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            OptionJson.WriteValue(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private ClusterConfig ConfigFromJson(string configClass, string json)
    {
        var type = _types.Types.Concat(_types.SectionTypes).FirstOrDefault(t => t.FullName == configClass)
            ?? throw new InvalidOperationException($"Stored cluster config class '{configClass}' is not known to this gateway");
        var errors = new ConfigErrors();
        var config = (ClusterConfig)_binder.Create(type, errors);
        _binder.ApplyOverrides(config, ClusterConfigJson.Read(json), errors);
        return errors.HasErrors
            ? throw new InvalidOperationException($"Stored cluster config is invalid: {string.Join("; ", errors.Errors.Select(e => e.Message))}")
            : config;
    }

    private static JsonObject ParseState(string json) =>
        json.Length == 0 ? [] : JsonNode.Parse(json) as JsonObject ?? [];
}
