using System.Formats.Asn1;
using System.Text;
using DaskGateway.Auth;

namespace DaskGateway.Tests.Auth;

public sealed class KerberosTicketReaderTests
{
    private const string KerberosOid = "1.2.840.113554.1.2.2";
    private const string SpnegoOid = "1.3.6.1.5.5.2";

    /// <summary>A GSS-API InitialContextToken: [APPLICATION 0] { mechanism OID, inner token }.</summary>
    private static byte[] GssToken(string oid, byte[] inner)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(oid);
        var content = writer.Encode().Concat(inner).ToArray();
        var outer = new AsnWriter(AsnEncodingRules.DER);
        outer.WriteEncodedValue([0x60, .. Length(content.Length), .. content]);
        return outer.Encode();
    }

    private static byte[] Length(int length) => length < 0x80 ? [(byte)length] : [0x82, (byte)(length >> 8), (byte)length];

    // AsnWriter cannot write a GeneralString (tag 27), which Kerberos uses for names.
    private static void GeneralString(AsnWriter writer, string text) =>
        writer.WriteEncodedValue([0x1b, (byte)text.Length, .. Encoding.ASCII.GetBytes(text)]);

    /// <summary>A Kerberos mechanism token holding an AP-REQ whose ticket is for <paramref name="name"/>@<paramref name="realm"/>.</summary>
    private static byte[] KerberosToken(string realm, params string[] name)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(new Asn1Tag(TagClass.Application, 14)))
        using (writer.PushSequence())
        {
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                writer.WriteInteger(5);
            }

            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3)))
            using (writer.PushSequence(new Asn1Tag(TagClass.Application, 1)))
            using (writer.PushSequence())
            {
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    writer.WriteInteger(5);
                }

                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                {
                    GeneralString(writer, realm);
                }

                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                using (writer.PushSequence())
                {
                    using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    {
                        writer.WriteInteger(2);
                    }

                    using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                    using (writer.PushSequence())
                    {
                        foreach (var part in name)
                        {
                            GeneralString(writer, part);
                        }
                    }
                }

                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 3)))
                {
                    writer.WriteOctetString([1, 2, 3]);
                }
            }
        }

        return GssToken(KerberosOid, [0x01, 0x00, .. writer.Encode()]);
    }

    /// <summary>SPNEGO NegTokenInit offering Kerberos, with <paramref name="mechToken"/> when given.</summary>
    private static byte[] Spnego(byte[]? mechToken)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
        using (writer.PushSequence())
        {
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(KerberosOid);
            }

            if (mechToken is not null)
            {
                using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                {
                    writer.WriteOctetString(mechToken);
                }
            }
        }

        return GssToken(SpnegoOid, writer.Encode());
    }

    [Fact]
    public void BareKerberosToken_NamesTheTicketsService()
    {
        Assert.Equal(NegotiateTokenKind.KerberosTicket, KerberosTicketReader.Read(KerberosToken("FEAS.TEST", "HTTP", "gateway.example"), out var service));

        Assert.Equal("HTTP/gateway.example@FEAS.TEST", service!.ToString());
        Assert.Equal("HTTP", service.Service);
    }

    [Fact]
    public void SpnegoWrappedKerberosToken_NamesTheTicketsService()
    {
        Assert.Equal(NegotiateTokenKind.KerberosTicket, KerberosTicketReader.Read(Spnego(KerberosToken("R", "host", "h")), out var service));

        Assert.Equal("host/h@R", service!.ToString());
    }

    [Fact]
    public void SpnegoOfferWithoutATicket_OrWithNtlm_HasNoKerberosTicket()
    {
        Assert.Equal(NegotiateTokenKind.NoKerberosTicket, KerberosTicketReader.Read(Spnego(null), out _));
        Assert.Equal(NegotiateTokenKind.NoKerberosTicket, KerberosTicketReader.Read(Spnego(Encoding.ASCII.GetBytes("NTLMSSP\0\u0001\0\0\0")), out _));
    }

    public static TheoryData<byte[]> Garbage => new()
    {
        Array.Empty<byte>(),
        new byte[] { 0x60 },
        new byte[] { 0x60, 0x7f, 0x06 },
        Encoding.ASCII.GetBytes("not a token at all"),
        new byte[] { 0x30, 0x03, 0x02, 0x01, 0x05 },
        GssToken("1.2.3.4", [1, 2, 3]),
        GssToken(KerberosOid, [0x02, 0x00, 0x30, 0x00]),
        GssToken(KerberosOid, [0x01, 0x00, 0x6e, 0x02, 0x30, 0x00]),
        GssToken(KerberosOid, [0x01, 0x00]),
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_IsUnreadable_NeverAnException(byte[] token) =>
        Assert.Equal(NegotiateTokenKind.Unreadable, KerberosTicketReader.Read(token, out _));

    [Fact]
    public void EveryTruncationOfAValidToken_YieldsNoServicePrincipal()
    {
        var token = Spnego(KerberosToken("FEAS.TEST", "HTTP", "localhost"));
        Assert.Equal(NegotiateTokenKind.KerberosTicket, KerberosTicketReader.Read(token, out var whole));
        Assert.Equal("HTTP/localhost@FEAS.TEST", whole!.ToString());
        for (var length = 0; length < token.Length; length++)
        {
            // A cut token is never taken for a ticket, and never names a principal the client did not send whole.
            var kind = KerberosTicketReader.Read(token.AsSpan(0, length), out var service);
            Assert.True(kind != NegotiateTokenKind.KerberosTicket && service is null, $"a token cut to {length} of {token.Length} bytes read as {kind} {service}");
        }
    }
}
