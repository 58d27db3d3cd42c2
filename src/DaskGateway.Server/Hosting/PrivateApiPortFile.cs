using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DaskGateway.Logging;

namespace DaskGateway.Hosting;

/// <summary>
/// Keeps the private API's port stable across restarts when <c>DaskGateway.Address</c> is left at its
/// default (port 0) and clusters live in a SQLite file: schedulers that outlive the gateway were told
/// <c>DASK_GATEWAY_API_URL</c> with the old port, so a restarted gateway must listen there again for
/// their heartbeats to reach it. The port is kept in a small file beside the database.
/// </summary>
internal static partial class PrivateApiPortFile
{
    /// <summary>The most bytes read from the file: a port and a newline, with room to spare.</summary>
    private const int MaxFileBytes = 32;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// The address to listen on: <paramref name="defaultAddress"/> with the port saved in
    /// <paramref name="path"/> when there is one and it is free, else <paramref name="defaultAddress"/>
    /// unchanged (a new port), saying why in the log when a saved port cannot be used.
    /// </summary>
    public static string Resolve(string path, string defaultAddress, ILogger logger)
    {
        var address = ListenAddress.Parse(defaultAddress);
        if (!TryRead(path, out var port, out var problem))
        {
            if (problem is not null)
            {
                LogUnreadable(logger, path, problem);
            }

            return defaultAddress;
        }

        var reused = address with { Port = port };
        if (!IsFree(reused))
        {
            LogTaken(logger, port, path);
            return defaultAddress;
        }

        LogReused(logger, port, path);
        return reused.ToString();
    }

    /// <summary>Records <paramref name="port"/> for the next start; a failure is logged, not thrown (the gateway runs on).</summary>
    public static void Save(string path, int port, ILogger logger)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Path.GetRandomFileName());
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerReadWrite;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(port.ToString(CultureInfo.InvariantCulture) + "\n"));
                stream.Flush(flushToDisk: true);
            }

            // Moved into place whole, so a crash never leaves a half-written port behind.
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogNotSaved(logger, path, e.Message);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static bool TryRead(string path, out int port, out string? problem)
    {
        port = 0;
        problem = null;
        if (!File.Exists(path))
        {
            return false;
        }

        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
            var buffer = new byte[MaxFileBytes + 1];
            var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (length > MaxFileBytes)
            {
                problem = $"it is longer than {MaxFileBytes} bytes";
                return false;
            }

            text = Encoding.ASCII.GetString(buffer, 0, length).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            problem = "it does not hold a port number";
            return false;
        }

        return true;
    }

    /// <summary>Whether a listener could bind <paramref name="address"/> now (with the address reuse Kestrel uses too).</summary>
    private static bool IsFree(ListenAddress address)
    {
        var ip = address.IsAnyAddress ? IPAddress.Any : address.Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(address.Host);
        using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

        // Connections of the previous run may linger in TIME_WAIT; they do not stop a listener.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            socket.Bind(new IPEndPoint(ip, address.Port));
            socket.Listen();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = GatewayEventIds.PrivateApiPortFileReused, Level = LogLevel.Information, Message = "Private API reuses port {Port} from {Path}, so clusters that outlived the last run keep reaching it")]
    private static partial void LogReused(ILogger logger, int port, string path);

    [LoggerMessage(EventId = GatewayEventIds.PrivateApiPortFileTaken, Level = LogLevel.Warning, Message = "Private API port {Port} (saved in {Path} by the last run) is in use by another process; listening on a new port instead. Clusters still running from the last run report to the old port and will fail when their heartbeat timeout passes. Free the port and restart, or set DaskGateway.Address to a fixed address")]
    private static partial void LogTaken(ILogger logger, int port, string path);

    [LoggerMessage(EventId = GatewayEventIds.PrivateApiPortFileUnreadable, Level = LogLevel.Warning, Message = "Ignoring the private API port file {Path}: {Problem}; listening on a new port")]
    private static partial void LogUnreadable(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = GatewayEventIds.PrivateApiPortFileNotSaved, Level = LogLevel.Warning, Message = "Could not save the private API port in {Path} ({Problem}); after a restart, running clusters may not reach the gateway")]
    private static partial void LogNotSaved(ILogger logger, string path, string problem);
}
