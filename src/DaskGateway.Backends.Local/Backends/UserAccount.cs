using System.Globalization;
using System.Text;

namespace DaskGateway.Backends;

/// <summary>An operating-system account, looked up in the passwd database.</summary>
internal sealed record UserAccount(string Name, uint UserId, uint GroupId, string Home)
{
    private const string Getent = "/usr/bin/getent";

    /// <summary>The kernel's overflow id: shared by every unmapped user, so it belongs to no one in particular.</summary>
    private const uint OverflowUserId = 65534;

    private const int LongestName = 64;

    /// <summary>
    /// Looks an account up with <c>getent passwd</c> (which also sees LDAP and other NSS sources),
    /// or says why a cluster cannot run as <paramref name="name"/>: not a safe name, no such
    /// account, the superuser or its group, or a system account (a uid below <paramref name="minimumUserId"/>).
    /// </summary>
    public static async Task<(UserAccount? Account, string? Refusal)> FindAsync(string name, long minimumUserId, CancellationToken cancellationToken)
    {
        if (!IsSafeName(name))
        {
            return (null, $"'{Printable(name)}' cannot be an operating-system user name to run clusters as: use letters, digits, '_', '.', '-' and '@' (at most {LongestName}, not all digits, not starting with '.' or '-')");
        }

        var result = await LocalProcess.RunHelperAsync([Getent, "passwd", name], null, 64 * 1024, TimeSpan.FromSeconds(10), cancellationToken);
        if (result.ExitCode is not (0 or 2))
        {
            throw new InvalidOperationException($"cannot look up the operating-system user '{name}': {(result.ExitCode is null ? result.StandardError : $"getent exited with code {result.ExitCode}")}");
        }

        var fields = Encoding.UTF8.GetString(result.StandardOutput).Split('\n')[0].Split(':');
        if (result.ExitCode != 0 || fields.Length < 7 || fields[0] != name)
        {
            return (null, $"there is no operating-system user '{name}' to run the cluster as");
        }

        if (!uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
            || !uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var gid))
        {
            return (null, $"the passwd entry of '{name}' has no valid uid and gid");
        }

        var refusal = uid == 0 || gid == 0 ? $"clusters do not run as '{name}': it is the superuser or in its group"
            : uid < minimumUserId ? $"clusters do not run as '{name}': its uid {uid} is a system account's (below LocalBackend.MinimumUid, {minimumUserId})"
            : uid == OverflowUserId ? $"clusters do not run as '{name}': uid {uid} is the shared overflow id"
            : null;
        return refusal is null ? (new UserAccount(fields[0], uid, gid, fields[5]), null) : (null, refusal);
    }

    /// <summary>The account to run a cluster as; throws with the reason when there is none to use.</summary>
    public static async Task<UserAccount> LookupAsync(string name, long minimumUserId, CancellationToken cancellationToken)
    {
        var (account, refusal) = await FindAsync(name, minimumUserId, cancellationToken);
        return account ?? throw new InvalidOperationException(refusal);
    }

    /// <summary>
    /// A name that cannot be read as something else: not a number (getent would take it for a uid),
    /// not an option, no path or field separators, nothing invisible.
    /// </summary>
    private static bool IsSafeName(string name) =>
        name.Length is > 0 and <= LongestName
        && name[0] is not ('-' or '.')
        && !name.All(char.IsAsciiDigit)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '@');

    private static string Printable(string name) =>
        new([.. name.Take(LongestName).Select(c => char.IsControl(c) ? '?' : c)]);
}
