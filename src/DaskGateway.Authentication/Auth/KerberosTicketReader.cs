using System.Formats.Asn1;
using System.Text;

namespace DaskGateway.Auth;

/// <summary>What a Negotiate token holds, as far as can be read without keys.</summary>
internal enum NegotiateTokenKind
{
    /// <summary>Not a GSS-API token of SPNEGO or Kerberos.</summary>
    Unreadable,

    /// <summary>A SPNEGO offer without a Kerberos ticket (a client without a ticket, or NTLM).</summary>
    NoKerberosTicket,

    /// <summary>A Kerberos AP-REQ, whose ticket names its service principal in the clear.</summary>
    KerberosTicket,
}

/// <summary>The service principal a ticket was issued for: <c>HTTP/localhost@FEAS.TEST</c> is name ["HTTP", "localhost"] in realm FEAS.TEST.</summary>
internal sealed record TicketService(IReadOnlyList<string> Name, string Realm)
{
    /// <summary>The first name component (<c>HTTP</c>).</summary>
    public string Service => Name.Count > 0 ? Name[0] : "";

    public override string ToString() => string.Join('/', Name) + "@" + Realm;
}

/// <summary>
/// Reads the unencrypted service principal (sname and realm) of the Kerberos ticket inside a
/// Negotiate token: SPNEGO (RFC 4178) wrapping a Kerberos mechanism token, or a bare Kerberos
/// mechanism token (RFC 4121) as pykerberos sends. Nothing read here is authenticated; it serves to
/// refuse tickets for other services before GSS-API sees them and to explain failures.
/// </summary>
internal static class KerberosTicketReader
{
    private const string SpnegoOid = "1.3.6.1.5.5.2";
    private const string KerberosOid = "1.2.840.113554.1.2.2";
    private const string MicrosoftKerberosOid = "1.2.840.48018.1.2.2";
    private static readonly Asn1Tag InitialContextToken = new(TagClass.Application, 0, isConstructed: true);

    public static NegotiateTokenKind Read(ReadOnlySpan<byte> token, out TicketService? service)
    {
        service = null;
        try
        {
            return ReadGssToken(token, nested: false, out service);
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException or InvalidOperationException)
        {
            return NegotiateTokenKind.Unreadable;
        }
    }

    private static NegotiateTokenKind ReadGssToken(ReadOnlySpan<byte> token, bool nested, out TicketService? service)
    {
        service = null;
        var tag = AsnDecoder.ReadEncodedValue(token, AsnEncodingRules.BER, out var contentOffset, out var contentLength, out _);
        if (tag != InitialContextToken)
        {
            return NegotiateTokenKind.Unreadable;
        }

        var content = token.Slice(contentOffset, contentLength);
        var mechanism = AsnDecoder.ReadObjectIdentifier(content, AsnEncodingRules.BER, out var oidLength);
        var inner = content[oidLength..];
        switch (mechanism)
        {
            case SpnegoOid when !nested:
                return ReadSpnegoMechToken(inner) is { } mechToken ? ReadMechToken(mechToken, out service) : NegotiateTokenKind.NoKerberosTicket;
            case KerberosOid or MicrosoftKerberosOid:
                // TOK_ID 01 00 is an AP-REQ (RFC 4121 §4.1).
                if (inner.Length < 2 || inner[0] != 0x01 || inner[1] != 0x00)
                {
                    return NegotiateTokenKind.Unreadable;
                }

                service = ReadApRequestService(inner[2..].ToArray());
                return NegotiateTokenKind.KerberosTicket;
            default:
                return nested ? NegotiateTokenKind.NoKerberosTicket : NegotiateTokenKind.Unreadable;
        }
    }

    // The mechanism token of another mechanism (NTLM's is not even GSS-framed) is no Kerberos ticket.
    private static NegotiateTokenKind ReadMechToken(byte[] mechToken, out TicketService? service)
    {
        service = null;
        try
        {
            var kind = ReadGssToken(mechToken, nested: true, out service);
            return kind == NegotiateTokenKind.Unreadable ? NegotiateTokenKind.NoKerberosTicket : kind;
        }
        catch (AsnContentException)
        {
            return NegotiateTokenKind.NoKerberosTicket;
        }
    }

    // NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, ... }, explicit tags;
    // NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1] OPTIONAL, mechToken [2] OCTET STRING OPTIONAL, ... }
    private static byte[]? ReadSpnegoMechToken(ReadOnlySpan<byte> negotiationToken)
    {
        var reader = new AsnReader(negotiationToken.ToArray(), AsnEncodingRules.BER);
        var init = reader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        var mechTokenTag = new Asn1Tag(TagClass.ContextSpecific, 2);
        while (init.HasData)
        {
            var tag = init.PeekTag();
            if (tag.HasSameClassAndValue(mechTokenTag))
            {
                return init.ReadSequence(tag).ReadOctetString();
            }

            init.ReadEncodedValue();
        }

        return null;
    }

    // AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3] Ticket, authenticator [4] }
    // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1] Realm, sname [2] PrincipalName, enc-part [3] }
    private static TicketService ReadApRequestService(byte[] apRequest)
    {
        var reader = new AsnReader(apRequest, AsnEncodingRules.DER);
        var fields = reader.ReadSequence(new Asn1Tag(TagClass.Application, 14)).ReadSequence();
        var ticket = Field(fields, 3).ReadSequence(new Asn1Tag(TagClass.Application, 1)).ReadSequence();
        var realm = KerberosString(Field(ticket, 1));
        var principal = Field(ticket, 2).ReadSequence();
        Field(principal, 0).ReadInteger();
        var parts = Field(principal, 1).ReadSequence();
        var name = new List<string>();
        while (parts.HasData)
        {
            name.Add(KerberosString(parts));
        }

        return new TicketService(name, realm);
    }

    /// <summary>Skips to the explicitly tagged field <c>[number]</c> and returns a reader of its content.</summary>
    private static AsnReader Field(AsnReader sequence, int number)
    {
        var wanted = new Asn1Tag(TagClass.ContextSpecific, number, isConstructed: true);
        while (sequence.HasData)
        {
            var tag = sequence.PeekTag();
            if (tag == wanted)
            {
                return sequence.ReadSequence(tag);
            }

            sequence.ReadEncodedValue();
        }

        throw new AsnContentException($"field [{number}] is missing");
    }

    private static string KerberosString(AsnReader reader)
    {
        if (!reader.TryReadPrimitiveCharacterStringBytes(new Asn1Tag(UniversalTagNumber.GeneralString), out var bytes))
        {
            throw new AsnContentException("a constructed GeneralString");
        }

        return Encoding.UTF8.GetString(bytes.Span);
    }
}
