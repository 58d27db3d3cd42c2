using System.Globalization;

namespace DaskGateway.Tests;

/// <summary>A local account without a home or a login shell, made for one test (needs root) and deleted afterwards.</summary>
internal sealed class ThrowawayUser : IAsyncDisposable
{
    private ThrowawayUser(string name, uint userId)
    {
        Name = name;
        UserId = userId;
    }

    public string Name { get; }

    public uint UserId { get; }

    public static async Task<ThrowawayUser> CreateAsync()
    {
        var name = "dgtest" + Guid.NewGuid().ToString("N")[..8];
        await RunAsync("/usr/sbin/useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name);
        var uid = uint.Parse((await RunAsync("/usr/bin/id", "-u", name)).Trim(), CultureInfo.InvariantCulture);
        return new ThrowawayUser(name, uid);
    }

    /// <summary>Runs a program that must succeed; returns its standard output.</summary>
    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var result = await ExternalCommand.RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {result.Output}");
        return result.StandardOutput;
    }

    /// <summary>The uid owning <paramref name="path"/> itself (a link's own owner, not its target's).</summary>
    public static async Task<uint> OwnerAsync(string path) =>
        uint.Parse((await RunAsync("/usr/bin/stat", "--format=%u", "--", path)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Ends what is left of the user's processes (a helper killed on a timeout may not be reaped yet), then removes the account.</summary>
    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            await ExternalCommand.RunAsync("/usr/bin/pkill", ["-KILL", "-u", Name]);
            var result = await ExternalCommand.RunAsync("/usr/sbin/userdel", [Name]);
            if (result.ExitCode == 0)
            {
                return;
            }

            Assert.False(deadline.IsCancellationRequested, $"/usr/sbin/userdel {Name}: {result.Output}");
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
