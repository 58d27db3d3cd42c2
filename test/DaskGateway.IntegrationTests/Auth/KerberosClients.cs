using System.Net;
using System.Net.Security;
using System.Text.Json.Nodes;
using DaskGateway.Auth;

namespace DaskGateway.Tests;

/// <summary>
/// A Kerberos client in this process: .NET's <see cref="NegotiateAuthentication"/> with a ticket
/// cache chosen per client (set in the native environment just before each token is made).
/// </summary>
internal sealed class DotNetKerberosClient(string cache, string targetName = "HTTP/localhost") : IDisposable
{
    private NegotiateAuthentication? _last;

    /// <summary>How many tokens were made (each is a new GSS-API context, as the Python client does).</summary>
    public int TokensMade { get; private set; }

    /// <summary>A new <c>Negotiate</c> header for <see cref="Tests.Infrastructure.GatewayClient"/>, or null without a ticket.</summary>
    public string? Authorization()
    {
        _last?.Dispose();
        NativeEnvironment.Set("KRB5CCNAME", cache);
        _last = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "Negotiate",
            TargetName = targetName,
            Credential = CredentialCache.DefaultNetworkCredentials,
            RequireMutualAuthentication = true,
        });
        var token = _last.GetOutgoingBlob((string?)null, out var status);
        Assert.True(token is not null || status != NegotiateAuthenticationStatusCode.ContinueNeeded, $"no token: {status}");
        TokensMade++;
        return token is null ? null : "Negotiate " + token;
    }

    /// <summary>Feeds the server's <c>WWW-Authenticate: Negotiate &lt;token&gt;</c> to the last context: mutual authentication.</summary>
    public NegotiateAuthenticationStatusCode VerifyServer(HttpResponseMessage response)
    {
        Assert.NotNull(_last);
        var header = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Negotiate", header.Scheme);
        Assert.False(string.IsNullOrEmpty(header.Parameter), "the server sent no token");
        _last.GetOutgoingBlob(header.Parameter, out var status);
        return status;
    }

    public void Dispose() => _last?.Dispose();
}

/// <summary>Kerberos clients in other processes: pykerberos (what the upstream client uses) and curl.</summary>
internal static class KerberosProcesses
{
    /// <summary>A bare Kerberos token (not SPNEGO) for HTTP@<paramref name="host"/>, made by pykerberos.</summary>
    public static async Task<string> PykerberosTokenAsync(KerberosRealm realm, string cache, string? config = null, string host = "localhost")
    {
        const string Script = "import kerberos, sys\n"
            + "_, c = kerberos.authGSSClientInit('HTTP@' + sys.argv[1], gssflags=kerberos.GSS_C_MUTUAL_FLAG | kerberos.GSS_C_SEQUENCE_FLAG)\n"
            + "kerberos.authGSSClientStep(c, '')\n"
            + "print(kerberos.authGSSClientResponse(c))\n";
        var result = await ExternalCommand.RunAsync("/usr/bin/python3", ["-c", Script, host], realm.ClientEnvironment(cache, config), timeoutSeconds: 30);
        Assert.True(result.ExitCode == 0, "pykerberos: " + result.Output);
        return "Negotiate " + result.StandardOutput.Trim();
    }

    /// <summary>Runs the upstream client's handshake (upstream_kerberos_client.py) over <paramref name="urls"/> in one session.</summary>
    public static async Task<List<JsonObject>> UpstreamClientAsync(KerberosRealm realm, string cache, params Uri[] urls)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "upstream_kerberos_client.py");
        var result = await ExternalCommand.RunAsync("/usr/bin/python3", [script, .. urls.Select(u => u.ToString())], realm.ClientEnvironment(cache), timeoutSeconds: 60);
        Assert.True(result.ExitCode == 0, "upstream_kerberos_client.py: " + result.Output);
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    /// <summary><c>curl --negotiate -u :</c>; returns the status, the response headers and the body.</summary>
    public static async Task<(int Status, string Headers, string Body)> CurlAsync(KerberosRealm realm, string cache, Uri url)
    {
        var headers = Path.Combine(realm.Directory, "curl-headers-" + Guid.NewGuid().ToString("N"));
        var result = await ExternalCommand.RunAsync(
            "/usr/bin/curl",
            ["-sS", "--negotiate", "-u", ":", "-D", headers, "-w", "\n%{http_code}", "--max-time", "30", url.ToString()],
            realm.ClientEnvironment(cache),
            timeoutSeconds: 40);
        Assert.True(result.ExitCode == 0, "curl: " + result.Output);
        var output = result.StandardOutput;
        var newline = output.LastIndexOf('\n');
        var text = await File.ReadAllTextAsync(headers);
        File.Delete(headers);
        return (int.Parse(output[(newline + 1)..], System.Globalization.CultureInfo.InvariantCulture), text, output[..newline]);
    }
}
