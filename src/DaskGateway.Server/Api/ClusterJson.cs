using System.Text.Json;
using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>Writes the cluster dict of protocol.md §1.4: exactly eight keys, which the client requires.</summary>
internal static class ClusterJson
{
    /// <summary>
    /// Writes the dict; <paramref name="withOwner"/> adds a ninth key, <c>user</c>, for the admin's
    /// every-user list only, which the client never asks for (it rejects keys it does not know).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, ClusterState cluster, bool withOwner = false)
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
        if (withOwner)
        {
            writer.WriteString("user", cluster.Username);
        }

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
