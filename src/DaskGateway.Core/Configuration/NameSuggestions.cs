using System.Text;

namespace DaskGateway.Configuration;

/// <summary>Names and "did you mean" suggestions for settings, sections and classes.</summary>
internal static class NameSuggestions
{
    public const int MaxSuggestions = 3;

    /// <summary>When nothing is close, sections with at most this many names list them all.</summary>
    public const int MaxKnownListed = 12;

    /// <summary>
    /// upstream's snake_case of a PascalCase name: <c>ClusterMaxWorkers</c> → <c>cluster_max_workers</c>,
    /// <c>DBUrl</c> → <c>db_url</c>, <c>K8sApiRateLimit</c> → <c>k8s_api_rate_limit</c>.
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && name[i - 1] != '_')
            {
                var previous = name[i - 1];
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && nextIsLower))
                {
                    text.Append('_');
                }
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    /// <summary>
    /// The (at most <see cref="MaxSuggestions"/>) displays whose forms are closest to <paramref name="name"/>
    /// by case-insensitive Damerau–Levenshtein distance, within max(2, length/3).
    /// </summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<(string Form, string Display)> candidates)
    {
        var limit = Math.Max(2, name.Length / 3);
        var lowered = name.ToLowerInvariant();
        return candidates
            .Select(candidate => (candidate.Display, Distance: Distance(lowered, candidate.Form.ToLowerInvariant())))
            .Where(candidate => candidate.Distance <= limit)
            .GroupBy(candidate => candidate.Display, StringComparer.Ordinal)
            .Select(group => (Display: group.Key, Distance: group.Min(candidate => candidate.Distance)))
            .OrderBy(candidate => candidate.Distance)
            .ThenBy(candidate => candidate.Display, StringComparer.Ordinal)
            .Take(MaxSuggestions)
            .Select(candidate => candidate.Display)
            .ToList();
    }

    /// <summary><c> Did you mean 'A', 'B' or 'C'?</c> (with the leading space), or empty.</summary>
    public static string DidYouMean(IReadOnlyList<string> suggestions)
    {
        if (suggestions.Count == 0)
        {
            return "";
        }

        var quoted = suggestions.Select(suggestion => $"'{suggestion}'").ToList();
        var list = quoted.Count == 1 ? quoted[0] : $"{string.Join(", ", quoted.SkipLast(1))} or {quoted[^1]}";
        return $" Did you mean {list}?";
    }

    /// <summary>Damerau–Levenshtein distance (optimal string alignment: adjacent transpositions count 1).</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    best = Math.Min(best, d[i - 2, j - 2] + 1);
                }

                d[i, j] = best;
            }
        }

        return d[a.Length, b.Length];
    }
}
