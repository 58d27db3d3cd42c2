using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Gateway;

/// <summary>
/// The scenario's requests and answers on one backend, normalized so that backends can be compared:
/// cluster names become <c>{A}</c>, <c>{B}</c>, … in the order they were created, millisecond times
/// <c>&lt;time&gt;</c>, PEM certificates and keys <c>&lt;certificate&gt;</c> and <c>&lt;private key&gt;</c>.
/// </summary>
internal sealed class ScenarioTranscript
{
    // Millisecond epochs from 2001 on; smaller numbers (counts, limits) are kept as they are.
    private const long EarliestTime = 1_000_000_000_000;

    // Placeholders stay readable in a failure's message (<time>, not \u003Ctime\u003E).
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly List<(string Name, string Placeholder)> _names = [];

    public ScenarioTranscript(string backend) => Backend = backend;

    public string Backend { get; }

    public List<ScenarioStep> Steps { get; } = [];

    /// <summary>Gives a new cluster the next placeholder.</summary>
    public string NameCluster(string name)
    {
        var placeholder = "{" + (char)('A' + _names.Count) + "}";
        _names.Add((name, placeholder));
        return placeholder;
    }

    public async Task RecordAsync(string label, HttpStatusCode expected, HttpMethod method, string path, Task<HttpResponseMessage> sending, BodyComparison comparison = BodyComparison.Exact)
    {
        using var response = await sending;
        var text = await response.Content.ReadAsStringAsync();
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var body = mediaType == "application/json" && JsonNode.Parse(text) is { } json
            ? (comparison == BodyComparison.Shape ? Shape(json) : Normalize(json))!.ToJsonString(Readable)
            : ReplaceNames(text);
        var challenge = response.StatusCode == HttpStatusCode.Unauthorized ? string.Join(", ", response.Headers.WwwAuthenticate) : null;
        Steps.Add(new ScenarioStep(label, method.Method, ReplaceNames(path), (int)response.StatusCode, (int)expected, mediaType, challenge, body));
    }

    /// <summary>The steps whose status is not the one the protocol gives, one line each; empty when all are.</summary>
    public string UnexpectedStatuses() => string.Join(
        "\n",
        Steps.Where(step => step.Status != step.ExpectedStatus).Select(step => $"  {step}: expected {step.ExpectedStatus}, got {step.Answer}"));

    /// <summary>The steps answered differently on two backends, each with both answers; empty when none is.</summary>
    public static string Differences(ScenarioTranscript first, ScenarioTranscript second)
    {
        var report = new StringBuilder();
        var width = Math.Max(first.Backend.Length, second.Backend.Length) + 1;
        for (var i = 0; i < Math.Max(first.Steps.Count, second.Steps.Count); i++)
        {
            var one = i < first.Steps.Count ? first.Steps[i] : null;
            var other = i < second.Steps.Count ? second.Steps[i] : null;
            if (one is not null && other is not null && one.ToString() == other.ToString() && one.Answer == other.Answer)
            {
                continue;
            }

            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"step {i + 1}: {one?.ToString() ?? other!.ToString()}\n");
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {(first.Backend + ":").PadRight(width)} {(one is null ? "(no such step)" : $"{one}: {one.Answer}")}\n");
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {(second.Backend + ":").PadRight(width)} {(other is null ? "(no such step)" : $"{other}: {other.Answer}")}\n");
        }

        return report.ToString();
    }

    private JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(ReplaceNames(p.Key), Normalize(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Normalize)]),
        JsonValue value when value.TryGetValue<long>(out var number) && number >= EarliestTime => JsonValue.Create("<time>"),
        JsonValue value when value.TryGetValue<string>(out var text) => JsonValue.Create(NormalizeText(text)),
        _ => node?.DeepClone(),
    };

    private string NormalizeText(string text) =>
        text.StartsWith("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) ? "<certificate>"
        : text.StartsWith("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal) ? "<private key>"
        : ReplaceNames(text);

    private string ReplaceNames(string text)
    {
        foreach (var (name, placeholder) in _names)
        {
            text = text.Replace(name, placeholder, StringComparison.Ordinal);
        }

        return text;
    }

    private static JsonNode Shape(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)Shape(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Shape).DistinctBy(item => item.ToJsonString())]),
        null => JsonValue.Create("null"),
        _ => JsonValue.Create(node.GetValueKind().ToString().ToLowerInvariant()),
    };
}
