using System.CommandLine;
using Spectre.Console;

namespace DaskGateway.Admin;

/// <summary>
/// <c>dask-gateway-server admin clusters|stop NAME</c>: an operator's view of a running gateway
/// through its private API, authenticated with the admin API token. The token is read from
/// <c>DASK_GATEWAY_ADMIN_API_TOKEN</c> or a file, never from the command line, where every user of the
/// machine could read it.
/// </summary>
internal static class AdminCommand
{
    public const string UrlVariable = "DASK_GATEWAY_ADMIN_URL";
    public const string TokenVariable = "DASK_GATEWAY_ADMIN_API_TOKEN";

    /// <summary>The most bytes read from a token file: a token is a line; anything longer is not a token file.</summary>
    private const int MaxTokenFileBytes = 4096;

    private const int RedirectedWidth = 400;

    /// <summary>The <c>admin</c> command; its actions write to <paramref name="output"/> and <paramref name="error"/> and return the exit code.</summary>
    public static Command Create(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        var url = new Option<string?>("--url")
        {
            HelpName = "URL",
            Description = $"The gateway's private API address, as its startup line prints it (default: {UrlVariable}).",
            Recursive = true,
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            HelpName = "FILE",
            Description = $"A file holding the admin API token (default: the token in {TokenVariable}).",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table.", Recursive = true };

        var statuses = new Option<string?>("--status")
        {
            HelpName = "STATUSES",
            Description = "Only clusters with these statuses, comma-separated (pending, running, stopping, stopped, failed); default: the active ones.",
        };
        var clusters = new Command("clusters", "Lists every user's clusters.") { statuses };
        var name = new Argument<string>("NAME") { Description = "The cluster to stop." };
        var stop = new Command("stop", "Stops a cluster of any user; its events name the admin API token as who stopped it.") { name };

        var admin = new Command("admin", "Inspects and acts on a running gateway through its private API, with DaskGateway.AdminApiToken.")
        {
            url,
            tokenFile,
            json,
            clusters,
            stop,
        };

        clusters.SetAction((parse, cancellationToken) => RunAsync(parse, async (client, console) =>
            AdminOutput.WriteClusters(console, await client.ListClustersAsync(parse.GetValue(statuses), cancellationToken), parse.GetValue(json))));
        stop.SetAction((parse, cancellationToken) => RunAsync(parse, async (client, console) =>
        {
            var cluster = parse.GetValue(name)!;
            await client.StopClusterAsync(cluster, cancellationToken);
            console.WriteLine($"Stopping cluster {AdminOutput.Printable(cluster)}.");
        }));
        return admin;

        async Task<int> RunAsync(ParseResult parse, Func<AdminApiClient, IAnsiConsole, Task> action)
        {
            if (!TryConnect(parse.GetValue(url), parse.GetValue(tokenFile), environment, out var client, out var problem))
            {
                await error.WriteLineAsync("dask-gateway-server admin: " + problem);
                return 2;
            }

            using (client)
            {
                try
                {
                    await action(client, CreateConsole(output));
                    return 0;
                }
                catch (AdminApiException e)
                {
                    await error.WriteLineAsync("dask-gateway-server admin: " + e.Message);
                    return 1;
                }
            }
        }
    }

    private static bool TryConnect(string? url, string? tokenFile, Func<string, string?> environment, out AdminApiClient client, out string problem)
    {
        client = null!;
        url ??= environment(UrlVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            problem = $"no gateway address: pass --url or set {UrlVariable} (the private API address the gateway prints when it starts)";
            return false;
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            problem = $"--url: expected an http:// or https:// address, got '{AdminOutput.Printable(url)}'";
            return false;
        }

        if (!TryReadToken(tokenFile, environment, out var token, out problem))
        {
            return false;
        }

        client = new AdminApiClient(address, token);
        return true;
    }

    private static bool TryReadToken(string? tokenFile, Func<string, string?> environment, out string token, out string problem)
    {
        problem = "";
        if (tokenFile is null)
        {
            token = environment(TokenVariable)?.Trim() ?? "";
            if (token.Length == 0)
            {
                problem = $"no admin API token: set {TokenVariable} or pass --token-file (the gateway's DaskGateway.AdminApiToken)";
                return false;
            }

            if (!Hosting.GatewaySettings.IsTokenText(token))
            {
                problem = $"{TokenVariable} does not hold a token (one line of printable characters)";
                return false;
            }

            return true;
        }

        try
        {
            using var file = File.OpenRead(tokenFile);
            var buffer = new byte[MaxTokenFileBytes + 1];
            var length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            token = length > MaxTokenFileBytes ? "" : System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            token = "";
            problem = $"--token-file: cannot read {tokenFile}: {e.Message}";
            return false;
        }

        if (!Hosting.GatewaySettings.IsTokenText(token))
        {
            problem = $"--token-file: {tokenFile} does not hold a token (one line, at most {MaxTokenFileBytes} bytes)";
            return false;
        }

        return true;
    }

    private static IAnsiConsole CreateConsole(TextWriter output)
    {
        var terminal = output == Console.Out && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });

        // Piped into a file or another program, rows stay whole instead of wrapping at 80 columns.
        if (!terminal)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return console;
    }
}
