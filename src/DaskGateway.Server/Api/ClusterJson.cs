using System.Text.Json;
using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>Writes the cluster dict of protocol.md §1.4: exactly eight keys, which the client requires.</summary>
internal static class ClusterJson
{
    public static void Write(Utf8JsonWriter writer, ClusterState cluster)
    {
        writer.WriteStartObject();
        writer.WriteString("name", cluster.Name);
        WriteNullableString(writer, "dashboard_route", cluster.DashboardRoute);
        writer.WriteString("status", cluster.Status.ToWireName());
        writer.WriteNumber("start_time", cluster.StartTime);
        if (cluster.StopTime is { } stopTime)
        {
            writer.WriteNumber("stop_time", stopTime);
        }
        else
        {
            writer.WriteNull("stop_time");
        }

        writer.WritePropertyName("options");
        OptionJson.WriteValue(writer, cluster.Options);
        WriteNullableString(writer, "tls_cert", cluster.Credentials?.CertificatePem);
        WriteNullableString(writer, "tls_key", cluster.Credentials?.PrivateKeyPem);
        writer.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
