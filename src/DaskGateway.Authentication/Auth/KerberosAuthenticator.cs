using System.ComponentModel;
using System.Net;
using System.Net.Security;
using System.Runtime.InteropServices;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Auth;

/// <summary>
/// Kerberos through SPNEGO (<c>Authorization: Negotiate &lt;token&gt;</c>), checked with GSS-API
/// (the BCL's <see cref="NegotiateAuthentication"/>) against the keys of <see cref="Keytab"/>.
/// Tickets for <c>&lt;ServiceName&gt;/&lt;any host&gt;</c> with a key in the keytab are accepted, as
/// upstream's host-based acceptor does; the user is the client principal without its realm when that
/// is the gateway's own realm (<see cref="StripRealm"/>), else the whole principal. The
/// server's token goes back in <c>WWW-Authenticate: Negotiate &lt;token&gt;</c> (the client's mutual
/// authentication requires it). Every failure is a 401 that says what went wrong, never a 500.
/// </summary>
/// <remarks>
/// The keytab reaches libkrb5 as <c>KRB5_KTNAME</c>, which is process-wide: one Kerberos
/// authenticator per process. When the keytab also holds keys of other principals, the service's
/// keys are copied at startup into a private in-memory keytab so that GSS-API cannot accept tickets
/// for those principals; a key rotated in the file then takes effect at the next restart.
/// </remarks>
[ClassAlias("kerberos")]
[ClassAlias("dask_gateway_server.auth.KerberosAuthenticator")]
public sealed partial class KerberosAuthenticator : Authenticator, IDisposable
{
    private const string Scheme = "Negotiate";
    private const string GssLibrary = "libgssapi_krb5.so.2";
    private ILogger _logger = NullLogger.Instance;
    private Krb5Keytab? _memoryKeytab;
    private HashSet<string> _ownRealms = new(StringComparer.Ordinal);

    /// <summary>The service part of the gateway's principal, <c>&lt;ServiceName&gt;/&lt;host&gt;</c>.</summary>
    [Description("The service's Kerberos principal name: tickets for <ServiceName>/<host> are accepted. Almost always HTTP.")]
    public string ServiceName { get; set; } = "HTTP";

    /// <summary>The keytab holding the service's keys (exported to libkrb5 as <c>KRB5_KTNAME</c>).</summary>
    [Description("Path to the keytab with the service's keys (a relative path is relative to the working directory).")]
    public string Keytab { get; set; } = "dask_gateway.keytab";

    /// <summary>Whether principals of the gateway's own realm are named without their realm.</summary>
    [Description("Whether users of the gateway's own realm (the realm of its service principal in the keytab) are named without "
        + "the realm: alice@EXAMPLE.ORG becomes alice, while a principal of any other (trusted) realm keeps its @REALM, so that "
        + "bob@OTHER.REALM is never taken for the local bob. False keeps the realm of every user. Upstream strips whatever "
        + "follows the first @ from every principal, whatever its realm.")]
    public bool StripRealm { get; set; } = true;

    /// <inheritdoc/>
    public override string Challenge => Scheme;

    /// <summary>The keytab name given to libkrb5 after <see cref="SetupAsync"/>.</summary>
    internal string EffectiveKeytab { get; private set; } = "";

    /// <inheritdoc/>
    public override Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        _logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger<KerberosAuthenticator>() ?? NullLogger.Instance;
        if (ServiceName.Length == 0 || ServiceName.Contains('/', StringComparison.Ordinal) || ServiceName.Contains('@', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"KerberosAuthenticator.ServiceName must be a service name such as HTTP, got '{ServiceName}'");
        }

        if (!NativeLibrary.TryLoad(GssLibrary, out var gss))
        {
            throw new InvalidOperationException($"Kerberos needs the GSS-API library {GssLibrary} (Debian: apt-get install libgssapi-krb5-2)");
        }

        NativeLibrary.Free(gss);
        var keytab = ResolveKeytab(Keytab);
        var principals = Krb5Keytab.ListPrincipals(keytab);
        var ours = principals.Where(IsOurs).ToList();
        if (ours.Count == 0)
        {
            throw new InvalidOperationException(
                $"The keytab {keytab} holds no key for {ServiceName}/<host>"
                + (principals.Count == 0 ? " (it is empty)" : "; it holds keys for " + string.Join(", ", principals))
                + ". Set KerberosAuthenticator.Keytab or KerberosAuthenticator.ServiceName.");
        }

        if (ours.Count == principals.Count)
        {
            EffectiveKeytab = keytab;
        }
        else
        {
            _memoryKeytab = Krb5Keytab.CopyToMemory(keytab, IsOurs);
            EffectiveKeytab = _memoryKeytab.Name;
            LogOtherPrincipalsIgnored(keytab, principals.Except(ours, StringComparer.Ordinal));
        }

        _ownRealms = ours.Select(Realm).Where(realm => realm.Length > 0).ToHashSet(StringComparer.Ordinal);

        // Before the first GSS-API call, and for native code: libkrb5 reads it with getenv.
        NativeEnvironment.Set("KRB5_KTNAME", EffectiveKeytab);
        LogAccepting(ours, keytab);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task CleanupAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _memoryKeytab?.Dispose();
        _memoryKeytab = null;
    }

    /// <inheritdoc/>
    public override Task<User?> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryReadToken(request.Headers.Authorization.ToString(), out var token))
        {
            return Task.FromResult<User?>(null);
        }

        switch (KerberosTicketReader.Read(token, out var service))
        {
            case NegotiateTokenKind.Unreadable:
                throw new AuthenticationException("Malformed Negotiate credentials: the token is neither SPNEGO nor Kerberos");
            case NegotiateTokenKind.NoKerberosTicket:
                throw new AuthenticationException("The Negotiate credentials carry no Kerberos ticket (only Kerberos is supported): get a ticket with kinit");
        }

        if (!string.Equals(service!.Service, ServiceName, StringComparison.Ordinal))
        {
            LogWrongService(service, ServiceName);
            throw new AuthenticationException($"The Kerberos ticket is for {service}, but this gateway accepts tickets for {ServiceName}/<host> only");
        }

        var user = Accept(token, service, out var reply);
        if (reply is not null)
        {
            request.ResponseHeaders.WWWAuthenticate = Scheme + " " + Convert.ToBase64String(reply);
        }

        return Task.FromResult<User?>(user);
    }

    private User Accept(byte[] token, TicketService service, out byte[]? reply)
    {
        NegotiateAuthenticationStatusCode status;
        string? principal = null;
        try
        {
            using var negotiate = new NegotiateAuthentication(new NegotiateAuthenticationServerOptions
            {
                Package = Scheme,
                Credential = CredentialCache.DefaultNetworkCredentials,
            });
            reply = negotiate.GetOutgoingBlob(token, out status);
            if (status == NegotiateAuthenticationStatusCode.Completed)
            {
                principal = negotiate.RemoteIdentity.Name;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogGssError(e, service);
            throw new AuthenticationException($"Kerberos authentication failed for a ticket for {service}: GSS-API error {e.GetType().Name}", e);
        }

        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            LogRejected(service, status);
            throw new AuthenticationException($"Kerberos authentication failed for a ticket for {service} ({status}): {Explain(status)}");
        }

        var name = string.IsNullOrEmpty(principal) ? "" : UserName(principal, StripRealm, _ownRealms);
        if (name.Length == 0)
        {
            throw new AuthenticationException("Kerberos authentication succeeded but named no client principal");
        }

        LogAuthenticated(principal!, service);
        return new User(name);
    }

    /// <summary>
    /// The user a client principal maps to: without its realm when <paramref name="stripRealm"/> and the
    /// realm is one of <paramref name="ownRealms"/>, else the whole principal. The realm follows the last
    /// <c>@</c> (an enterprise principal's name may hold an escaped one); empty when there is no name.
    /// </summary>
    internal static string UserName(string principal, bool stripRealm, IReadOnlySet<string> ownRealms)
    {
        var at = principal.LastIndexOf('@');
        if (at == 0)
        {
            return "";
        }

        return at > 0 && stripRealm && ownRealms.Contains(principal[(at + 1)..]) ? principal[..at] : principal;
    }

    /// <summary>The realm of a principal: what follows its last <c>@</c>, or empty.</summary>
    private static string Realm(string principal)
    {
        var at = principal.LastIndexOf('@');
        return at >= 0 ? principal[(at + 1)..] : "";
    }

    private static string Explain(NegotiateAuthenticationStatusCode status) => status switch
    {
        NegotiateAuthenticationStatusCode.ContinueNeeded => "the exchange needs more than one round trip, which the gateway does not support (is the client using NTLM?)",
        NegotiateAuthenticationStatusCode.ContextExpired or NegotiateAuthenticationStatusCode.CredentialsExpired => "the ticket has expired; get a new one with kinit",
        NegotiateAuthenticationStatusCode.InvalidToken => "the token is malformed",
        _ => "the ticket is expired, replayed, or encrypted with a key this gateway's keytab does not have (another realm or an old key version)",
    };

    /// <summary>Reads <c>Negotiate &lt;base64&gt;</c>; false when the header names another scheme or none.</summary>
    private static bool TryReadToken(string header, out byte[] token)
    {
        token = [];
        if (!AuthorizationHeader.TryGetCredentials(header, Scheme, Scheme, out var encoded))
        {
            return false;
        }

        var buffer = new byte[encoded.Length * 3 / 4];
        if (!Convert.TryFromBase64String(encoded, buffer, out var length))
        {
            throw new AuthenticationException("Malformed Negotiate credentials: the token is not base64");
        }

        token = buffer[..length];
        return true;
    }

    /// <summary>
    /// The keytab name for libkrb5: a path made absolute (so that a later change of directory does
    /// not matter) and checked to exist, or any other <c>TYPE:residual</c> name as given.
    /// </summary>
    private static string ResolveKeytab(string keytab)
    {
        var colon = keytab.IndexOf(':', StringComparison.Ordinal);
        var type = colon > 1 && keytab[..colon].All(char.IsAsciiLetterOrDigit) ? keytab[..colon].ToUpperInvariant() : null;
        if (type is not null and not "FILE" and not "WRFILE")
        {
            return keytab;
        }

        var path = Path.GetFullPath(type is null ? keytab : keytab[(colon + 1)..]);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The Kerberos keytab {path} does not exist (set KerberosAuthenticator.Keytab)");
        }

        try
        {
            using (File.OpenRead(path))
            {
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new InvalidOperationException($"The Kerberos keytab {path} cannot be read by the gateway's user", e);
        }

        return "FILE:" + path;
    }

    private bool IsOurs(string principal)
    {
        var slash = principal.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && string.Equals(principal[..slash], ServiceName, StringComparison.Ordinal);
    }

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorAccepting, Level = LogLevel.Information, Message = "Kerberos: accepting tickets for {Principals} (keytab {Keytab})")]
    private partial void LogAccepting(IEnumerable<string> principals, string keytab);

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorOtherPrincipalsIgnored, Level = LogLevel.Warning, Message = "Kerberos: the keytab {Keytab} also holds keys for {Principals}; tickets for them are refused, and the service's keys were read once (restart after rotating them)")]
    private partial void LogOtherPrincipalsIgnored(string keytab, IEnumerable<string> principals);

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorAuthenticated, Level = LogLevel.Debug, Message = "Kerberos: authenticated {Principal} with a ticket for {Service}")]
    private partial void LogAuthenticated(string principal, TicketService service);

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorRejected, Level = LogLevel.Information, Message = "Kerberos: refused a ticket for {Service}: GSS-API status {Status}")]
    private partial void LogRejected(TicketService service, NegotiateAuthenticationStatusCode status);

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorWrongService, Level = LogLevel.Information, Message = "Kerberos: refused a ticket for {Service}: this gateway is the service {ServiceName}")]
    private partial void LogWrongService(TicketService service, string serviceName);

    [LoggerMessage(EventId = GatewayEventIds.KerberosAuthenticatorGssError, Level = LogLevel.Warning, Message = "Kerberos: GSS-API failed on a ticket for {Service}")]
    private partial void LogGssError(Exception exception, TicketService service);
}
