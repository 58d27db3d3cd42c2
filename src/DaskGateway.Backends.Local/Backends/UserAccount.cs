using System.Diagnostics;
using System.Globalization;

namespace DaskGateway.Backends;

/// <summary>An operating-system account, looked up in the passwd database.</summary>
internal sealed record UserAccount(string Name, uint UserId, uint GroupId, string Home)
{
    /// <summary>Looks an account up with <c>getent passwd</c> (which also sees LDAP and other NSS sources).</summary>
    public static UserAccount Lookup(string name)
    {
        if (name.Length == 0 || name.StartsWith('-') || name.Any(c => char.IsControl(c) || c == ':' || c == '/'))
        {
            throw new InvalidOperationException($"'{name}' cannot be an operating-system user name");
        }

        var info = new ProcessStartInfo("getent") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("passwd");
        info.ArgumentList.Add(name);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot run getent");
        var line = process.StandardOutput.ReadLine();
        process.WaitForExit();
        var fields = line?.Split(':');
        if (process.ExitCode != 0 || fields is not { Length: >= 7 })
        {
            throw new InvalidOperationException($"there is no operating-system user '{name}' to run the cluster as");
        }

        return new UserAccount(
            fields[0],
            uint.Parse(fields[2], CultureInfo.InvariantCulture),
            uint.Parse(fields[3], CultureInfo.InvariantCulture),
            fields[5]);
    }
}
