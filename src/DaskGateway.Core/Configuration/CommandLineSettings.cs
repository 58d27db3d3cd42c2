namespace DaskGateway.Configuration;

/// <summary>
/// Setting flags on the command line, as upstream's <c>--Class.trait=value</c>:
/// <c>--Proxy.Address=:9000</c> or <c>--Proxy.Address :9000</c>.
/// </summary>
public static class CommandLineSettings
{
    /// <summary>
    /// Records every <c>--Section.Setting</c> flag (a flag whose name contains a dot) into
    /// <paramref name="config"/> and returns the other arguments, unchanged and in order. Arguments after
    /// <c>--</c> are left alone.
    /// </summary>
    public static IReadOnlyList<string> Parse(IReadOnlyList<string> args, GatewayConfig config, ConfigErrors errors)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(errors);
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                rest.AddRange(args.Skip(i));
                break;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg : arg[..equals];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || !name.Contains('.', StringComparison.Ordinal))
            {
                rest.Add(arg);
                continue;
            }

            string flag;
            string value;
            if (equals >= 0)
            {
                flag = arg;
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
                flag = $"{arg} {value}";
            }
            else
            {
                errors.Add($"{arg} needs a value ({arg}=VALUE or {arg} VALUE)", SettingSource.CommandLine(arg));
                continue;
            }

            var parts = name[2..].Split('.');
            if (parts is [var section, var setting] && section.Length > 0 && setting.Length > 0)
            {
                config.Set(section, setting, value, SettingSource.CommandLine(flag));
            }
            else
            {
                errors.Add($"'{name}' is not a setting flag: expected --Section.Setting=VALUE", SettingSource.CommandLine(flag));
            }
        }

        return rest;
    }
}
