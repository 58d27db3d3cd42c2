using System.Buffers.Binary;
using System.Text;

namespace DaskGateway.Tests.Infrastructure;

/// <summary>
/// TLS ClientHello records made to measure (RFC 8446 §4.1.2 and §5.1, RFC 6066 §3), for tests that
/// need exact control over the bytes: server names, extension order, size, version fields.
/// </summary>
public static class ClientHelloBuilder
{
    private const byte ServerNameExtension = 0;
    private const byte SupportedGroupsExtension = 10;
    private const byte PaddingExtension = 21;
    private const byte SupportedVersionsExtension = 43;

    /// <summary>A whole first record: header and ClientHello.</summary>
    /// <param name="serverName">The SNI host name, or null for none.</param>
    /// <param name="paddingLength">Bytes of a padding extension (type 21), to make the record as large as wanted.</param>
    /// <param name="withExtensions">False for a TLS 1.2 hello that ends after the compression methods.</param>
    /// <param name="serverNameFirst">Put the <c>server_name</c> extension before the others.</param>
    /// <param name="sessionIdLength">Length of the legacy session id (0 to 32).</param>
    public static byte[] Build(string? serverName, int paddingLength = 0, bool withExtensions = true, bool serverNameFirst = false, int sessionIdLength = 32)
    {
        var body = new List<byte> { 3, 3 };
        body.AddRange(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)));
        body.Add((byte)sessionIdLength);
        body.AddRange(Enumerable.Repeat((byte)0xAB, sessionIdLength));
        body.AddRange([0, 6, 0x13, 0x01, 0x13, 0x02, 0xC0, 0x2F]);
        body.AddRange([1, 0]);
        if (withExtensions)
        {
            var others = new List<byte>();
            others.AddRange(Extension(SupportedVersionsExtension, [4, 3, 4, 3, 3]));
            others.AddRange(Extension(SupportedGroupsExtension, [0, 2, 0, 0x1D]));
            var sni = serverName is null ? [] : Extension(ServerNameExtension, ServerNameList(serverName));
            var extensions = serverNameFirst ? [.. sni, .. others] : others.Concat(sni).ToList();
            if (paddingLength > 0)
            {
                extensions.AddRange(Extension(PaddingExtension, new byte[paddingLength]));
            }

            body.AddRange(UInt16(extensions.Count));
            body.AddRange(extensions);
        }

        var handshake = new List<byte> { 1, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        return [0x16, 3, 1, .. UInt16(handshake.Count), .. handshake];
    }

    /// <summary>RFC 6066 §3: <c>server_name_list</c> with one <c>host_name</c>.</summary>
    public static byte[] ServerNameList(string hostName)
    {
        var name = Encoding.ASCII.GetBytes(hostName);
        return [.. UInt16(name.Length + 3), 0, .. UInt16(name.Length), .. name];
    }

    private static byte[] Extension(byte type, byte[] data) => [0, type, .. UInt16(data.Length), .. data];

    private static byte[] UInt16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, checked((ushort)value));
        return bytes;
    }
}
