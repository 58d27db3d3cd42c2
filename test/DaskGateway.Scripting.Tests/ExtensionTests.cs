using DaskGateway.Auth;
using DaskGateway.Clusters;

namespace DaskGateway.Tests.Scripting;

public sealed class ExtensionTests
{
    private const string Authenticator = """
        using DaskGateway.Auth;

        namespace Corp.Auth
        {
            public class TokenAuthenticator : Authenticator
            {
                public string Realm { get; set; } = "example";

                public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(new User(Realm));
            }

            public abstract class AbstractAuthenticator : Authenticator { }

            internal sealed class HiddenAuthenticator : Authenticator
            {
                public override Task<User?> AuthenticateAsync(AuthenticationRequest request) => Task.FromResult<User?>(null);
            }
        }
        """;

    [Fact]
    public void SourceExtensions_AreRegistered_ByFullName_ShortName_AndFileStem_AndUsableFromTheScript()
    {
        var run = new ScriptRun();
        run.Write("MyAuth.cs", Authenticator);
        run.Write("Options.cs", """
            using DaskGateway.Clusters;

            public static class SiteOptions
            {
                public static Options Standard() => new Options(Option.Integer("worker_cores", 1, max: 4));
            }

            public class SiteConfig : ClusterConfig
            {
                public string Queue { get; set; } = "normal";
            }
            """);
        var config = run.Write("dask_gateway_config.csx", """
            c.Backend.ClusterOptions = SiteOptions.Standard();
            c.DaskGateway.AuthenticatorClass = typeof(Corp.Auth.TokenAuthenticator);
            """);

        var report = run.Run(config);

        run.AssertNoErrors();
        Assert.Equal(2, report.Compiled);
        var registered = Assert.Single(report.Extensions).Types.Select(type => type.FullName).Order(StringComparer.Ordinal);
        Assert.Equal(["Corp.Auth.TokenAuthenticator", "SiteConfig"], registered);
        foreach (var name in new[] { "Corp.Auth.TokenAuthenticator", "TokenAuthenticator", "myauth.TokenAuthenticator", "MYAUTH.TokenAuthenticator" })
        {
            Assert.True(run.Types.TryResolveClass(name, typeof(Authenticator), out var type, out var error), error);
            Assert.Equal("Corp.Auth.TokenAuthenticator", type.FullName);
        }

        Assert.True(run.Types.TryResolveClass("options.SiteConfig", typeof(ClusterConfig), out _, out _));
        Assert.True(run.Types.TryGetSectionTypes("TokenAuthenticator", out _));
        Assert.IsType<Options>(run.Recorded("Backend", "ClusterOptions").Value);
        Assert.Equal("Corp.Auth.TokenAuthenticator", ((Type)run.Recorded("DaskGateway", "AuthenticatorClass").Value!).FullName);
    }

    [Fact]
    public void TwoClassesOfOneShortName_AreAmbiguous_ListingBoth()
    {
        var run = new ScriptRun();
        run.Write("ext/A.cs", "namespace A { public class SiteConfig : DaskGateway.Clusters.ClusterConfig { } }");
        run.Write("ext/B.cs", "namespace B { public class SiteConfig : DaskGateway.Clusters.ClusterConfig { } }");

        run.Run(null, null, Path.Combine(run.Directory, "ext"));

        run.AssertNoErrors();
        Assert.False(run.Types.TryResolveClass("SiteConfig", typeof(ClusterConfig), out _, out var error));
        Assert.Equal("'SiteConfig' is ambiguous: it could be A.SiteConfig, B.SiteConfig", error);
        Assert.True(run.Types.TryResolveClass("b.SiteConfig", typeof(ClusterConfig), out var type, out _));
        Assert.Equal("B.SiteConfig", type.FullName);
    }

    [Fact]
    public void TheCompilationCache_ServesUnchangedSources_AndRecompilesChangedOnes()
    {
        var cache = Directory.CreateTempSubdirectory("dask-gateway-cache-").FullName;
        var first = new ScriptRun();
        first.Write("MyAuth.cs", Authenticator);
        var config = first.Write("config.csx", "c.TokenAuthenticator.Realm = \"corp\";\nc.Proxy.Prefix = typeof(Corp.Auth.TokenAuthenticator).Name;");
        Assert.Equal((2, 0), Counts(first.Run(config, cache)));

        // The key includes the paths (they are in the debug information): the same directory again.
        var rerun = new ScriptRun(first.Directory);
        Assert.Equal((0, 2), Counts(rerun.Run(config, cache)));
        rerun.AssertNoErrors();
        Assert.Equal(("corp", 1), ((string)rerun.Recorded("TokenAuthenticator", "Realm").Value!, rerun.Recorded("TokenAuthenticator", "Realm").Source.Line));
        Assert.True(rerun.Types.TryResolveClass("myauth.TokenAuthenticator", typeof(Authenticator), out _, out _));

        File.WriteAllText(config, "c.Proxy.Prefix = \"/changed\";");
        var changed = new ScriptRun(first.Directory);
        Assert.Equal((1, 1), Counts(changed.Run(config, cache)));
        Assert.Equal("/changed", changed.Recorded("Proxy", "Prefix").Value);

        static (int Compiled, int FromCache) Counts(DaskGateway.Scripting.ScriptingReport report) => (report.Compiled, report.FromCache);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void TheCompilationCache_IsTheOwnersAlone_AndKeepsTheNewestEntries()
    {
        var directory = Path.Combine(Directory.CreateTempSubdirectory("dask-gateway-cache-").FullName, "compiled");
        var cache = new DaskGateway.Scripting.CompilationCache(directory);
        var entry = new DaskGateway.Scripting.CompiledAssembly([1], [2], new Dictionary<string, string[]> { ["T"] = ["stem"] });
        for (var i = 0; i < 70; i++)
        {
            cache.Put($"key{i}", entry);
            File.SetLastWriteTimeUtc(Path.Combine(directory, $"key{i}.json"), DateTime.UtcNow.AddMinutes(i - 70));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.Equal(64 * 3, Directory.GetFiles(directory).Length);
        Assert.False(File.Exists(Path.Combine(directory, "key0.dll")));
        var reread = new DaskGateway.Scripting.CompilationCache(directory).TryGet("key69");
        Assert.Equal(["stem"], reread!.FileStems["T"]);
    }

    [Fact]
    public void AnExtensionThatDoesNotCompile_IsReportedWithFileLineAndColumn()
    {
        var run = new ScriptRun();
        var file = run.Write("Bad.cs", "public class Bad : DaskGateway.Auth.Authenticator { public override string Challenge => 1; }");

        var report = run.Run(null, null, run.Directory);

        Assert.Empty(report.Extensions);
        Assert.Equal(
            $"{file}:1:89: error CS0029: Cannot implicitly convert type 'int' to 'string'",
            Assert.Single(run.Errors.Errors).ToString());
    }

    [Fact]
    public void AFileThatIsNotAnAssembly_IsAnError()
    {
        var run = new ScriptRun();
        var file = run.Write("native.dll", "not an assembly");

        run.Run(null, null, run.Directory);

        Assert.StartsWith($"{file}: not a .NET assembly", Assert.Single(run.Errors.Errors).ToString(), StringComparison.Ordinal);
    }
}
