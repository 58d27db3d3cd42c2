using System.Globalization;
using System.Numerics;
using DaskGateway.Clusters;

namespace DaskGateway.Api;

/// <summary>Reads the values of API requests (protocol.md §1.3): worker counts, adapt bounds, <c>?status</c>, <c>?wait</c> and tokens.</summary>
internal static class ApiRequests
{
    /// <summary>A worker count: a JSON integer from 0 to <see cref="int.MaxValue"/> (not a boolean, string or float).</summary>
    public static bool TryGetWorkerCount(object? value, out int count)
    {
        count = value switch
        {
            long l when l is >= 0 and <= int.MaxValue => (int)l,
            _ => -1,
        };
        return count >= 0;
    }

    /// <summary>The adapt request of a body, or the 422 message saying what is wrong with it.</summary>
    public static bool TryReadAdapt(Dictionary<string, object?> body, out AdaptRequest request, out string problem)
    {
        request = new AdaptRequest(null, null, true);
        body.TryGetValue("minimum", out var minimumValue);
        body.TryGetValue("maximum", out var maximumValue);
        if (!TryGetBound(minimumValue, "minimum", out var minimum, out problem) || !TryGetBound(maximumValue, "maximum", out var maximum, out problem))
        {
            return false;
        }

        if (minimum > maximum)
        {
            problem = $"Adapt expects minimum <= maximum, got minimum={minimum}, maximum={maximum}";
            return false;
        }

        var active = true;
        if (body.TryGetValue("active", out var activeValue) && activeValue is not null)
        {
            if (activeValue is not bool flag)
            {
                problem = $"Adapt expects active to be a boolean, got {PythonFormat.Str(activeValue)}";
                return false;
            }

            active = flag;
        }

        request = new AdaptRequest(minimum, maximum, active);
        return true;
    }

    /// <summary>The statuses of <c>?status=a,b</c> (null when absent), or the 422 message naming a bad one.</summary>
    public static bool TryReadStatuses(IQueryCollection query, out HashSet<ClusterStatus>? statuses, out string problem)
    {
        statuses = null;
        problem = "";
        if (!query.TryGetValue("status", out var values))
        {
            return true;
        }

        statuses = [];
        foreach (var item in values.ToString().Split(','))
        {
            if (!ClusterStatusNames.TryParse(item, out var status))
            {
                problem = $"{PythonFormat.Repr(item)} is not a valid ClusterStatus";
                return false;
            }

            statuses.Add(status);
        }

        return true;
    }

    /// <summary>A yes/no query flag such as <c>?all=1</c>: absent, <c>0</c> or <c>false</c> → no; empty, <c>1</c> or <c>true</c> → yes; anything else is a 422.</summary>
    public static bool TryReadFlag(IQueryCollection query, string name, out bool value, out string problem)
    {
        value = false;
        problem = "";
        if (!query.TryGetValue(name, out var values))
        {
            return true;
        }

        switch (values.ToString().ToLowerInvariant())
        {
            case "" or "1" or "true":
                value = true;
                return true;
            case "0" or "false":
                return true;
            default:
                problem = $"{name}: expected 1, true, 0 or false, got {PythonFormat.Repr(values.ToString())}";
                return false;
        }
    }

    /// <summary><c>?wait</c>: absent → no; empty → yes; an integer → yes unless 0; anything else → no (protocol.md §1.3).</summary>
    public static bool WantsWait(IQueryCollection query)
    {
        if (!query.TryGetValue("wait", out var values))
        {
            return false;
        }

        var text = values.ToString();
        return text.Length == 0
            || (BigInteger.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var number) && !number.IsZero);
    }

    /// <summary>Reads <c>Authorization: token &lt;value&gt;</c>; anything else is no token.</summary>
    public static bool TryGetToken(HttpContext context, out string token)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        token = space > 0 && header.AsSpan(0, space).Equals("token", StringComparison.OrdinalIgnoreCase)
            ? header[(space + 1)..].Trim()
            : "";
        return token.Length > 0;
    }

    private static bool TryGetBound(object? value, string name, out int? bound, out string problem)
    {
        bound = null;
        problem = "";
        if (value is null)
        {
            return true;
        }

        if (!TryGetWorkerCount(value, out var count))
        {
            problem = $"Adapt expects {name} to be a non-negative integer or null, got {PythonFormat.Str(value)}";
            return false;
        }

        bound = count;
        return true;
    }
}
