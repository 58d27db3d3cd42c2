using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace DaskGateway.Admin;

/// <summary>
/// Renders the admin API's answers for an operator: a table, or with <c>--json</c> a JSON document
/// for scripts. Names, options and users come from untrusted users, so they are shown as plain text
/// (never markup) with control characters replaced, so that they cannot rewrite the terminal.
/// </summary>
internal static class AdminOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>One cluster per row, by user then name; as JSON, the same rows without credentials.</summary>
    public static void WriteClusters(IAnsiConsole console, JsonObject clusters, bool json)
    {
        var rows = clusters
            .Select(entry => entry.Value as JsonObject)
            .OfType<JsonObject>()
            .OrderBy(c => Text(c["user"]), StringComparer.Ordinal)
            .ThenBy(c => Text(c["name"]), StringComparer.Ordinal)
            .ToList();
        if (json)
        {
            var list = new JsonArray(rows.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c["name"]?.DeepClone(),
                ["user"] = c["user"]?.DeepClone(),
                ["status"] = c["status"]?.DeepClone(),
                ["start_time"] = c["start_time"]?.DeepClone(),
                ["stop_time"] = c["stop_time"]?.DeepClone(),
                ["options"] = c["options"]?.DeepClone(),
            }).ToArray());
            WriteJson(console, list);
            return;
        }

        if (rows.Count == 0)
        {
            console.WriteLine("No clusters.");
            return;
        }

        var table = NewTable("NAME", "USER", "STATUS", "STARTED (UTC)", "OPTIONS");
        foreach (var cluster in rows)
        {
            table.AddRow(
                Cell(Text(cluster["name"])),
                Cell(Text(cluster["user"])),
                Cell(Text(cluster["status"])),
                Cell(Time(cluster["start_time"])),
                Cell(Options(cluster["options"] as JsonObject)));
        }

        console.Write(table);
    }

    /// <summary>Replaces control characters (escape sequences included) so that a value prints as what it is.</summary>
    public static string Printable(string value)
    {
        if (!value.Any(char.IsControl))
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            text.Append(char.IsControl(c) ? '?' : c);
        }

        return text.ToString();
    }

    private static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column)).NoWrap());
        }

        return table;
    }

    private static Text Cell(string value) => new Text(Printable(value));

    private static string Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "";

    private static string Time(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "";

    private static string Options(JsonObject? options) =>
        options is null ? "" : string.Join(", ", options.Select(o => $"{o.Key}={(o.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : o.Value?.ToJsonString())}"));

    private static void WriteJson(IAnsiConsole console, JsonNode node) =>
        console.Profile.Out.Writer.WriteLine(node.ToJsonString(Indented));
}
