using System.Text.Json.Nodes;

namespace DaskGateway.Kubernetes.Fake;

/// <summary>
/// A parsed <c>labelSelector</c> query: comma-separated requirements, each <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>,
/// <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c> (exists) or <c>!k</c> (does not exist); all must hold.
/// </summary>
internal sealed class LabelSelector
{
    private readonly IReadOnlyList<Func<JsonObject?, bool>> _requirements;

    private LabelSelector(IReadOnlyList<Func<JsonObject?, bool>> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return Everything;
        }
        return new LabelSelector(SplitTopLevel(selector).Select(ParseRequirement).ToList());
    }

    public bool Matches(JsonObject obj)
    {
        var labels = obj["metadata"]?["labels"] as JsonObject;
        return _requirements.All(requirement => requirement(labels));
    }

    private static string? LabelValue(JsonObject? labels, string key) =>
        labels is not null && labels.TryGetPropertyValue(key, out var value) ? value?.GetValue<string>() ?? "" : null;

    /// <summary>Splits on commas that are not inside the parentheses of a set requirement.</summary>
    private static List<string> SplitTopLevel(string selector)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(selector[start..i]);
                    start = i + 1;
                    break;
            }
        }
        parts.Add(selector[start..]);
        return parts.Select(part => part.Trim()).Where(part => part.Length > 0).ToList();
    }

    private static Func<JsonObject?, bool> ParseRequirement(string requirement)
    {
        if (requirement.StartsWith('!'))
        {
            var key = ValidKey(requirement[1..].Trim(), requirement);
            return labels => LabelValue(labels, key) is null;
        }
        var notEqual = requirement.IndexOf("!=", StringComparison.Ordinal);
        if (notEqual > 0)
        {
            var key = ValidKey(requirement[..notEqual].Trim(), requirement);
            var value = requirement[(notEqual + 2)..].Trim();
            return labels => LabelValue(labels, key) != value;
        }
        var equal = requirement.IndexOf('=', StringComparison.Ordinal);
        if (equal > 0)
        {
            var key = ValidKey(requirement[..equal].Trim(), requirement);
            var value = requirement[(equal + 1)..].TrimStart('=').Trim();
            return labels => LabelValue(labels, key) == value;
        }
        var open = requirement.IndexOf('(', StringComparison.Ordinal);
        if (open > 0 && requirement.EndsWith(')'))
        {
            var words = requirement[..open].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 2 || (words[1] != "in" && words[1] != "notin"))
            {
                throw Unparsable(requirement);
            }
            var key = ValidKey(words[0], requirement);
            var values = requirement[(open + 1)..^1].Split(',').Select(value => value.Trim()).ToHashSet(StringComparer.Ordinal);
            return words[1] == "in"
                ? labels => LabelValue(labels, key) is { } value && values.Contains(value)
                : labels => LabelValue(labels, key) is not { } value || !values.Contains(value);
        }
        var existsKey = ValidKey(requirement, requirement);
        return labels => LabelValue(labels, existsKey) is not null;
    }

    private static string ValidKey(string key, string requirement) =>
        key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '!' or '=') ? throw Unparsable(requirement) : key;

    private static ApiStatusException Unparsable(string requirement) =>
        ApiStatusException.BadRequest($"unable to parse requirement: \"{requirement}\"");
}
