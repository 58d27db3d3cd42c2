using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace DaskGateway.Proxy.Tls;

/// <summary>
/// Finds the server name (SNI) in the first TLS record of a connection without consuming anything,
/// so that the bytes can be replayed to wherever the connection goes. Only the first record is
/// examined (protocol.md §2.3); it is at most <see cref="MaxRecordLength"/> bytes long, which bounds
/// what a connection may make the gateway hold before it is routed.
/// </summary>
/// <remarks>
/// Formats: the record header of RFC 8446 §5.1, the ClientHello of RFC 8446 §4.1.2 (the same
/// layout as TLS 1.2's, RFC 5246 §7.4.1.2), and the <c>server_name</c> extension of RFC 6066 §3.
/// This is not a TLS implementation: fields that do not affect finding the name are skipped
/// unchecked, and the scheduler's TLS stack validates the handshake it receives.
/// </remarks>
internal static class ClientHelloParser
{
    /// <summary>The length of a TLS record header: type, legacy version, length.</summary>
    public const int RecordHeaderLength = 5;

    /// <summary>RFC 8446 §5.1: the length of a plaintext record must not exceed 2^14 bytes.</summary>
    public const int MaxRecordLength = 1 << 14;

    /// <summary>The most bytes a ClientHello's first record can take.</summary>
    public const int MaxHelloLength = RecordHeaderLength + MaxRecordLength;

    // RFC 6066 §3: a DNS host name; 255 bytes is the most a DNS name can take.
    private const int MaxHostNameLength = 255;
    private const byte HandshakeContentType = 22;
    private const byte TlsMajorVersion = 3;
    private const byte ClientHelloMessageType = 1;
    private const int RandomLength = 32;
    private const int MaxSessionIdLength = 32;
    private const ushort ServerNameExtensionType = 0;
    private const byte HostNameType = 0;

    /// <summary>Looks at the bytes received so far.</summary>
    /// <param name="buffer">Everything received from the client so far (never consumed).</param>
    /// <param name="serverName">The server name when the result is <see cref="ClientHelloStatus.ServerName"/>.</param>
    public static ClientHelloStatus Parse(ReadOnlySequence<byte> buffer, out string? serverName)
    {
        serverName = null;
        if (buffer.IsEmpty)
        {
            return ClientHelloStatus.NeedMoreData;
        }

        // 1. The record header: a handshake record (22) of major version 3 (SSL 3.0 to TLS 1.3 all say 3).
        Span<byte> header = stackalloc byte[RecordHeaderLength + 1];
        var available = (int)Math.Min(buffer.Length, header.Length);
        buffer.Slice(0, available).CopyTo(header);
        if (header[0] != HandshakeContentType || (available > 1 && header[1] != TlsMajorVersion))
        {
            return ClientHelloStatus.NotTls;
        }

        if (available < RecordHeaderLength)
        {
            return ClientHelloStatus.NeedMoreData;
        }

        var recordLength = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
        if (recordLength == 0 || recordLength > MaxRecordLength)
        {
            return ClientHelloStatus.NotTls;
        }

        // 2. The first handshake message must be a ClientHello; say so as soon as its type byte is in.
        if (available > RecordHeaderLength && header[RecordHeaderLength] != ClientHelloMessageType)
        {
            return ClientHelloStatus.NotTls;
        }

        if (buffer.Length < RecordHeaderLength + recordLength)
        {
            return ClientHelloStatus.NeedMoreData;
        }

        var reader = new SequenceReader<byte>(buffer.Slice(RecordHeaderLength, recordLength));
        return ParseHandshake(ref reader, out serverName);
    }

    private static ClientHelloStatus ParseHandshake(ref SequenceReader<byte> record, out string? serverName)
    {
        serverName = null;

        // RFC 8446 §4: msg_type (1 byte), length (3 bytes). A ClientHello may continue in later
        // records (§5.1 lets handshake messages be fragmented); only what this record holds is read.
        if (!record.TryRead(out var messageType) || messageType != ClientHelloMessageType || !TryReadUInt24(ref record, out var messageLength) || messageLength == 0)
        {
            return ClientHelloStatus.NotTls;
        }

        var body = record.UnreadSequence;
        var fragmented = messageLength > body.Length;
        var reader = new SequenceReader<byte>(fragmented ? body : body.Slice(0, messageLength));

        // Without a server name in what this record holds, a fragmented hello cannot be told apart
        // from one that names its server later: it is not one the gateway can route.
        var noServerName = fragmented ? ClientHelloStatus.NotTls : ClientHelloStatus.NoServerName;

        // RFC 8446 §4.1.2: legacy_version (2), random (32), legacy_session_id<0..32>,
        // cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>, extensions<8..2^16-1>.
        if (!TrySkip(ref reader, 2 + RandomLength)
            || !reader.TryRead(out var sessionIdLength) || sessionIdLength > MaxSessionIdLength || !TrySkip(ref reader, sessionIdLength)
            || !TryReadUInt16(ref reader, out var cipherSuitesLength) || cipherSuitesLength < 2 || cipherSuitesLength % 2 != 0 || !TrySkip(ref reader, cipherSuitesLength)
            || !reader.TryRead(out var compressionLength) || compressionLength == 0 || !TrySkip(ref reader, compressionLength))
        {
            return ClientHelloStatus.NotTls;
        }

        if (reader.End)
        {
            // A TLS 1.2 hello may end here: no extensions, so no server name.
            return noServerName;
        }

        if (!TryReadUInt16(ref reader, out var extensionsLength) || extensionsLength > reader.Remaining)
        {
            return ClientHelloStatus.NotTls;
        }

        var extensions = new SequenceReader<byte>(reader.UnreadSequence.Slice(0, extensionsLength));
        while (!extensions.End)
        {
            // RFC 8446 §4.2: extension_type (2), extension_data<0..2^16-1>.
            if (!TryReadUInt16(ref extensions, out var extensionType) || !TryReadUInt16(ref extensions, out var extensionLength) || extensionLength > extensions.Remaining)
            {
                return ClientHelloStatus.NotTls;
            }

            if (extensionType == ServerNameExtensionType)
            {
                var data = new SequenceReader<byte>(extensions.UnreadSequence.Slice(0, extensionLength));
                return ParseServerName(ref data, out serverName);
            }

            extensions.Advance(extensionLength);
        }

        return noServerName;
    }

    /// <summary>RFC 6066 §3: <c>ServerName server_name_list&lt;1..2^16-1&gt;</c> of <c>name_type</c> (1) and <c>HostName&lt;1..2^16-1&gt;</c>.</summary>
    private static ClientHelloStatus ParseServerName(ref SequenceReader<byte> data, out string? serverName)
    {
        serverName = null;
        if (!TryReadUInt16(ref data, out var listLength) || listLength != data.Remaining || listLength == 0)
        {
            return ClientHelloStatus.NotTls;
        }

        while (!data.End)
        {
            if (!data.TryRead(out var nameType) || !TryReadUInt16(ref data, out var nameLength) || nameLength == 0 || nameLength > data.Remaining)
            {
                return ClientHelloStatus.NotTls;
            }

            if (nameType != HostNameType)
            {
                data.Advance(nameLength);
                continue;
            }

            var name = data.UnreadSequence.Slice(0, nameLength);
            if (nameLength > MaxHostNameLength || !IsHostName(name))
            {
                return ClientHelloStatus.NotTls;
            }

            serverName = Encoding.ASCII.GetString(name);
            return ClientHelloStatus.ServerName;
        }

        return ClientHelloStatus.NoServerName;
    }

    /// <summary>RFC 6066 §3: a host name is ASCII; control characters, spaces and DEL have no place in it.</summary>
    private static bool IsHostName(ReadOnlySequence<byte> name)
    {
        foreach (var segment in name)
        {
            foreach (var b in segment.Span)
            {
                if (b is <= 0x20 or >= 0x7F)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool TrySkip(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
        {
            return false;
        }

        reader.Advance(count);
        return true;
    }

    private static bool TryReadUInt16(ref SequenceReader<byte> reader, out int value)
    {
        if (reader.TryReadBigEndian(out short raw))
        {
            value = (ushort)raw;
            return true;
        }

        value = 0;
        return false;
    }

    private static bool TryReadUInt24(ref SequenceReader<byte> reader, out int value)
    {
        value = 0;
        Span<byte> bytes = stackalloc byte[3];
        if (!reader.TryCopyTo(bytes))
        {
            return false;
        }

        reader.Advance(3);
        value = bytes[0] << 16 | bytes[1] << 8 | bytes[2];
        return true;
    }
}
