using DaskGateway.Auth;

namespace DaskGateway.Tests;

/// <summary>
/// A throwaway MIT Kerberos KDC (test/infra/krb-up.sh) serving the realm FEAS.TEST and a foreign
/// realm OTHER.TEST on a free loopback port, for one test class. The test process's native
/// environment gets <c>KRB5_CONFIG</c> (the gateway in this process and the .NET client read it);
/// everything is stopped and deleted at the end.
/// </summary>
public sealed class KerberosRealm : IAsyncLifetime
{
    private const string Install = "apt-get install --no-install-recommends krb5-kdc krb5-admin-server krb5-user iproute2 python3-kerberos (scripts/lib/prerequisites.sh does)";
    private readonly DirectoryInfo _directory = System.IO.Directory.CreateTempSubdirectory("dask-gateway-krb-");
    private Dictionary<string, string> _values = [];

    public string Directory => _directory.FullName;

    public string Realm => _values["KRB_REALM"];

    public string Config => _values["KRB_CONFIG"];

    /// <summary>A krb5.conf that maps localhost to OTHER.TEST, whose HTTP/localhost key the gateway lacks.</summary>
    public string OtherRealmConfig => _values["KRB_OTHER_CONFIG"];

    /// <summary>The gateway's keytab: HTTP/localhost@FEAS.TEST only.</summary>
    public string Keytab => _values["KRB_KEYTAB"];

    /// <summary>A keytab with HTTP/localhost and host/localhost.</summary>
    public string MixedKeytab => _values["KRB_MIXED_KEYTAB"];

    public string AliceKeytab => _values["KRB_ALICE_KEYTAB"];

    public async ValueTask InitializeAsync()
    {
        foreach (var tool in new[] { "/usr/sbin/krb5kdc", "/usr/sbin/kadmin.local", "/usr/bin/kinit", "/usr/bin/python3" })
        {
            Assert.True(File.Exists(tool), $"{tool} is missing: {Install}");
        }

        var result = await ExternalCommand.RunInfraScriptAsync("krb-up.sh", [], new Dictionary<string, string?> { ["KRB_DIR"] = Path.Combine(Directory, "kdc") }, timeoutSeconds: 60);
        Assert.True(result.ExitCode == 0, $"krb-up.sh failed ({Install}): {result.Output}");
        _values = ExternalCommand.ParseExports(result.StandardOutput);
        NativeEnvironment.Set("KRB5_CONFIG", Config);
    }

    public async ValueTask DisposeAsync()
    {
        NativeEnvironment.Set("KRB5_CONFIG", null);
        NativeEnvironment.Set("KRB5CCNAME", null);
        NativeEnvironment.Set("KRB5_KTNAME", null);
        if (_values.TryGetValue("KRB_DIR", out var kdc))
        {
            var result = await ExternalCommand.RunInfraScriptAsync("krb-down.sh", [kdc], new Dictionary<string, string?>(), timeoutSeconds: 30);
            Assert.True(result.ExitCode == 0, "krb-down.sh failed: " + result.Output);
        }

        _directory.Delete(recursive: true);
    }

    /// <summary>Gets a ticket with a password into a new credential cache; returns its name (<c>FILE:…</c>).</summary>
    public Task<string> KinitAsync(string principal, string password, string? lifetime = null, string? config = null) =>
        KinitAsync(lifetime is null ? [principal] : ["-l", lifetime, principal], password + "\n", config);

    /// <summary>Gets a ticket with a client keytab into a new credential cache.</summary>
    public Task<string> KinitWithKeytabAsync(string principal, string keytab) => KinitAsync(["-k", "-t", keytab, principal], null, null);

    /// <summary>An empty credential cache: a user who never ran kinit.</summary>
    public string EmptyCache() => "FILE:" + Path.Combine(Directory, "cc-" + Guid.NewGuid().ToString("N"));

    /// <summary>The environment of a Kerberos client process using <paramref name="cache"/>.</summary>
    public Dictionary<string, string?> ClientEnvironment(string cache, string? config = null) => new()
    {
        ["KRB5_CONFIG"] = config ?? Config,
        ["KRB5CCNAME"] = cache,
    };

    private async Task<string> KinitAsync(string[] arguments, string? input, string? config)
    {
        var cache = EmptyCache();
        var result = await ExternalCommand.RunAsync("/usr/bin/kinit", arguments, ClientEnvironment(cache, config), input, timeoutSeconds: 30);
        Assert.True(result.ExitCode == 0, $"kinit {string.Join(' ', arguments)}: {result.Output}");
        return cache;
    }
}
