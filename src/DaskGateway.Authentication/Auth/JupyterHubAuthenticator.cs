using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DaskGateway.Configuration;
using DaskGateway.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaskGateway.Auth;

/// <summary>
/// JupyterHub API tokens (<c>Authorization: jupyterhub &lt;token&gt;</c>), checked by asking the hub
/// who owns them (<c>GET &lt;JupyterhubApiUrl&gt;/user</c> with the user's token). The user keeps the
/// hub's groups and admin flag; a service token's user is named <c>service:&lt;name&gt;</c>. With a
/// service name set, the token must carry <c>access:services</c> or
/// <c>access:services!service=&lt;name&gt;</c>.
/// </summary>
/// <remarks>
/// Unlike upstream: a token the hub refuses (401, 403 or 404) is a 401, not a 500; a hub that cannot
/// be reached, fails (5xx) or answers anything else unexpected is a 502 that says so; tokens the hub
/// accepted are remembered for <see cref="TokenCacheMaxAge"/> seconds and tokens it refused for
/// <see cref="RefusedTokenCacheMaxAge"/>; at most <see cref="MaxConcurrentHubRequests"/> checks reach
/// the hub at once; <see cref="TlsCa"/> works without a client certificate.
/// </remarks>
[ClassAlias("jupyterhub")]
[ClassAlias("dask_gateway_server.auth.JupyterHubAuthenticator")]
public sealed partial class JupyterHubAuthenticator : Authenticator, IDisposable
{
    private const string Scheme = "jupyterhub";
    private const string UpstreamFailure = "Upstream failure verifying user's JupyterHub API token";
    private static readonly TimeSpan HubTimeout = TimeSpan.FromSeconds(10);
    private ILogger _logger = NullLogger.Instance;
    private HttpClient? _http;
    private Uri? _userUrl;
    private string? _requiredService;
    private ValidatedTokenCache<User>? _cache;
    private ValidatedTokenCache<string>? _refusals;
    private SemaphoreSlim? _hubSlots;

    /// <summary>The gateway's own API token; kept for configuration compatibility (upstream never uses it either).</summary>
    [Description("Dask Gateway's JupyterHub API token (default: $JUPYTERHUB_API_TOKEN). Accepted for compatibility; user tokens are checked with the tokens themselves.")]
    public string JupyterhubApiToken { get; set; } = "";

    /// <summary>The hub's API URL, such as <c>http://hub:8081/hub/api</c>; used verbatim (percent-escapes are kept).</summary>
    [Description("The JupyterHub API URL, e.g. http://hub:8081/hub/api (default: $JUPYTERHUB_API_URL). Used as given: escapes such as %20 are kept.")]
    public string JupyterhubApiUrl { get; set; } = "";

    /// <summary>The gateway's service name at the hub; when set, tokens need the access scope for it.</summary>
    [Description("The gateway's JupyterHub service name (default: $JUPYTERHUB_SERVICE_NAME); when set, tokens must carry access:services or access:services!service=<name>.")]
    public string JupyterhubServiceName { get; set; } = "";

    /// <summary>Whether to require the access scope; by default, whenever a service name is set.</summary>
    [Description("Whether tokens must carry the service access scope (default: True when a service name is set).")]
    public bool? UseServiceAccessScopes { get; set; }

    /// <summary>PEM client certificate for TLS to the hub.</summary>
    [Description("Path to a PEM client certificate for TLS connections to JupyterHub (may also hold the key).")]
    public string TlsCert { get; set; } = "";

    /// <summary>PEM private key of <see cref="TlsCert"/>.</summary>
    [Description("Path to the PEM private key of TlsCert.")]
    public string TlsKey { get; set; } = "";

    /// <summary>PEM CA certificates that the hub's certificate must chain to, instead of the system's.</summary>
    [Description("Path to PEM CA certificates trusted for JupyterHub's TLS certificate, instead of the system's (works with or without a client certificate).")]
    public string TlsCa { get; set; } = "";

    /// <summary>Seconds a token the hub accepted is trusted without asking again; 0 asks every time.</summary>
    [Description("Seconds a token JupyterHub accepted is trusted without asking again (0: ask every time). A token revoked at the hub keeps working this long.")]
    [Range(0, double.MaxValue)]
    public double TokenCacheMaxAge { get; set; } = 30;

    /// <summary>Seconds a token the hub refused is refused again without asking; 0 asks every time.</summary>
    [Description("Seconds a token JupyterHub refused is refused again without asking (0: ask every time), so repeated bad tokens do not each cost a hub request.")]
    [Range(0, double.MaxValue)]
    public double RefusedTokenCacheMaxAge { get; set; } = 30;

    /// <summary>The most token checks sent to the hub at once; more wait for a free slot.</summary>
    [Description("Most token checks sent to JupyterHub at once; further checks wait (up to HubQueueTimeout) for one to finish.")]
    [Range(1, 10_000)]
    public int MaxConcurrentHubRequests { get; set; } = 16;

    /// <summary>Seconds a token check waits for a free slot before the request is answered 502.</summary>
    [Description("Seconds a token check waits for one of MaxConcurrentHubRequests before the request is answered 502 (the hub is busy).")]
    [Range(0, 300)]
    public double HubQueueTimeout { get; set; } = 10;

    /// <inheritdoc/>
    public override string Challenge => Scheme;

    /// <inheritdoc/>
    public override Task SetupAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        _logger = (ILogger?)services.GetService<ILoggerFactory>()?.CreateLogger<JupyterHubAuthenticator>() ?? NullLogger.Instance;
        var apiUrl = OrEnvironment(JupyterhubApiUrl, "JUPYTERHUB_API_URL");
        if (apiUrl.Length == 0)
        {
            throw new InvalidOperationException("JUPYTERHUB_API_URL must be set (or JupyterHubAuthenticator.JupyterhubApiUrl)");
        }

        _userUrl = UserUrl(apiUrl);
        var serviceName = OrEnvironment(JupyterhubServiceName, "JUPYTERHUB_SERVICE_NAME");
        if (UseServiceAccessScopes ?? serviceName.Length > 0)
        {
            if (serviceName.Length > 0)
            {
                _requiredService = serviceName;
            }
            else
            {
                LogScopesNeedServiceName();
            }
        }

        _http?.Dispose();
        _http = new HttpClient(CreateHandler(), disposeHandler: true) { Timeout = HubTimeout };
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _cache = TokenCacheMaxAge > 0 ? new ValidatedTokenCache<User>(time, TimeSpan.FromSeconds(TokenCacheMaxAge)) : null;
        _refusals = RefusedTokenCacheMaxAge > 0 ? new ValidatedTokenCache<string>(time, TimeSpan.FromSeconds(RefusedTokenCacheMaxAge)) : null;
        _hubSlots?.Dispose();
        _hubSlots = new SemaphoreSlim(MaxConcurrentHubRequests, MaxConcurrentHubRequests);
        LogUsing(_userUrl, _requiredService ?? "(none)", TokenCacheMaxAge);
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
        _http?.Dispose();
        _http = null;
        _hubSlots?.Dispose();
        _hubSlots = null;
    }

    /// <inheritdoc/>
    public override async Task<User?> AuthenticateAsync(AuthenticationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TryReadToken(request.Headers.Authorization.ToString(), out var token))
        {
            return null;
        }

        if (_cache is not null && _cache.TryGet(token, out var cached))
        {
            return cached;
        }

        if (_refusals is not null && _refusals.TryGet(token, out var refusal))
        {
            throw new AuthenticationException(refusal);
        }

        User user;
        try
        {
            user = await VerifyWithinCapAsync(token, cancellationToken);
        }
        catch (AuthenticationException e)
        {
            // The hub's verdict on this token; an unreachable or failing hub (a 502) is no verdict and is not remembered.
            _refusals?.Add(token, e.Message);
            throw;
        }

        _cache?.Add(token, user);
        return user;
    }

    /// <summary>
    /// Asks the hub while at most <see cref="MaxConcurrentHubRequests"/> checks are under way, so that a
    /// flood of requests with made-up tokens cannot turn into a flood of requests at the hub.
    /// </summary>
    private async Task<User> VerifyWithinCapAsync(string token, CancellationToken cancellationToken)
    {
        var slots = _hubSlots ?? throw new InvalidOperationException("JupyterHubAuthenticator.SetupAsync was not called");
        if (!await slots.WaitAsync(TimeSpan.FromSeconds(HubQueueTimeout), cancellationToken))
        {
            LogHubBusy(MaxConcurrentHubRequests);
            throw new AuthenticationUnavailableException(
                $"JupyterHub is busy: the gateway's limit of {MaxConcurrentHubRequests} concurrent token checks was reached and this request waited {HubQueueTimeout:0.###} s; try again shortly");
        }

        try
        {
            return await VerifyAsync(token, cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>The hub URL of the token owner's model: the API URL as given (one trailing '/' dropped) plus <c>/user</c>.</summary>
    internal static Uri UserUrl(string apiUrl)
    {
        var text = apiUrl.EndsWith('/') ? apiUrl[..^1] : apiUrl;
        if (!Uri.TryCreate(text + "/user", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }, out var url)
            || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"The JupyterHub API URL '{apiUrl}' is not an absolute http or https URL");
        }

        return url;
    }

    /// <summary>The name a hub user model maps to: the user's name, or <c>kind:name</c> for services and names with a colon.</summary>
    internal static string UserName(string name, string kind) =>
        kind == "user" && !name.Contains(':', StringComparison.Ordinal) ? name : kind + ":" + name;

    private async Task<User> VerifyAsync(string token, CancellationToken cancellationToken)
    {
        var http = _http ?? throw new InvalidOperationException("JupyterHubAuthenticator.SetupAsync was not called");
        using var message = new HttpRequestMessage(HttpMethod.Get, _userUrl);
        message.Headers.TryAddWithoutValidation("Authorization", "token " + token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            LogHubUnreachable(e, _userUrl!);
            throw new AuthenticationUnavailableException(
                UpstreamFailure + (e.InnerException is System.Security.Authentication.AuthenticationException
                    ? ": the TLS handshake with JupyterHub failed (see TlsCa, TlsCert and TlsKey)"
                    : ": JupyterHub cannot be reached"),
                e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogHubUnreachable(e, _userUrl!);
            throw new AuthenticationUnavailableException(UpstreamFailure + $": JupyterHub did not answer within {HubTimeout.TotalSeconds:0} s", e);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return await ReadUserAsync(response, cancellationToken);
            }

            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                // JupyterHub 2+ answers 403 for an unknown, expired or revoked token (older versions 404).
                LogTokenRefused(status);
                throw new AuthenticationException("Invalid, expired or revoked JupyterHub API token");
            }

            // 5xx is the hub failing; any other answer means the gateway cannot ask it properly (a
            // wrong URL, a proxy, rate limiting), which is no verdict on the user's token either.
            LogHubFailed(_userUrl!, status);
            throw new AuthenticationUnavailableException(UpstreamFailure + $": JupyterHub answered {status} {response.ReasonPhrase}");
        }
    }

    private async Task<User> ReadUserAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            LogBadReply(e, _userUrl!);
            throw new AuthenticationUnavailableException(UpstreamFailure + ": JupyterHub's answer is not JSON", e);
        }

        using (document)
        {
            var model = document.RootElement;
            if (model.ValueKind != JsonValueKind.Object
                || !model.TryGetProperty("name", out var nameElement)
                || nameElement.ValueKind != JsonValueKind.String
                || nameElement.GetString() is not { Length: > 0 } name)
            {
                LogBadReply(null, _userUrl!);
                throw new AuthenticationUnavailableException(UpstreamFailure + ": JupyterHub's answer names no user");
            }

            var kind = model.TryGetProperty("kind", out var kindElement) && kindElement.ValueKind == JsonValueKind.String ? kindElement.GetString()! : "user";
            if (_requiredService is { } service && !HasAccessScope(model, service))
            {
                var shownName = LogText.Escape(name);
                LogNoAccessScope(shownName, kind, service);
                throw new AuthenticationException($"The JupyterHub API token lacks the scope access:services!service={service} (or access:services) that this gateway requires");
            }

            var groups = Strings(model, "groups");
            var admin = model.TryGetProperty("admin", out var adminElement) && adminElement.ValueKind == JsonValueKind.True;
            return new User(UserName(name, kind), groups.ToHashSet(StringComparer.Ordinal), admin);
        }
    }

    private static bool HasAccessScope(JsonElement model, string service)
    {
        var specific = "access:services!service=" + service;
        return Strings(model, "scopes").Any(scope => scope == "access:services" || scope == specific);
    }

    private static List<string> Strings(JsonElement model, string property) =>
        model.TryGetProperty(property, out var array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];

    /// <summary>Reads <c>jupyterhub &lt;token&gt;</c>; false when the header names another scheme or none.</summary>
    private static bool TryReadToken(string header, out string token)
    {
        if (!AuthorizationHeader.TryGetCredentials(header, Scheme, "JupyterHub", out token))
        {
            return false;
        }

        if (!token.All(c => c is > ' ' and < (char)0x7f))
        {
            throw new AuthenticationException("Malformed JupyterHub credentials: the token must be printable ASCII without spaces");
        }

        return true;
    }

    private static string OrEnvironment(string configured, string variable) =>
        configured.Length > 0 ? configured : Environment.GetEnvironmentVariable(variable) ?? "";

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        try
        {
            if (TlsCert.Length > 0)
            {
                handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(TlsCert, TlsKey.Length > 0 ? TlsKey : null)];
            }
            else if (TlsKey.Length > 0)
            {
                throw new InvalidOperationException("JupyterHubAuthenticator.TlsKey is set but TlsCert is not");
            }

            if (TlsCa.Length > 0)
            {
                var authorities = new X509Certificate2Collection();
                authorities.ImportFromPemFile(TlsCa);
                if (authorities.Count == 0)
                {
                    throw new InvalidOperationException($"JupyterHubAuthenticator.TlsCa: {TlsCa} holds no PEM certificate");
                }

                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.AddRange(authorities);
                handler.SslOptions.CertificateChainPolicy = policy;
            }
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
        {
            handler.Dispose();
            throw new InvalidOperationException($"JupyterHubAuthenticator's TLS files cannot be used: {e.Message}", e);
        }
        catch
        {
            handler.Dispose();
            throw;
        }

        return handler;
    }

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorUsing, Level = LogLevel.Information, Message = "JupyterHub: checking tokens at {Url}; required service access: {Service}; accepted tokens trusted for {CacheSeconds} s")]
    private partial void LogUsing(Uri url, string service, double cacheSeconds);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorScopesNeedServiceName, Level = LogLevel.Warning, Message = "JupyterHub: UseServiceAccessScopes is set but no service name (JupyterhubServiceName or JUPYTERHUB_SERVICE_NAME): access scopes are not checked")]
    private partial void LogScopesNeedServiceName();

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorTokenRefused, Level = LogLevel.Debug, Message = "JupyterHub: refused a token (the hub answered {Status})")]
    private partial void LogTokenRefused(int status);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorNoAccessScope, Level = LogLevel.Information, Message = "JupyterHub: the token of {Name} ({Kind}) lacks access to service {Service}")]
    private partial void LogNoAccessScope(string name, string kind, string service);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorHubUnreachable, Level = LogLevel.Error, Message = "JupyterHub: cannot reach {Url}")]
    private partial void LogHubUnreachable(Exception exception, Uri url);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorHubFailed, Level = LogLevel.Error, Message = "JupyterHub: {Url} answered {Status} to a token check")]
    private partial void LogHubFailed(Uri url, int status);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorHubBusy, Level = LogLevel.Warning, Message = "JupyterHub: {Limit} token checks are under way and another waited too long for its turn; it was answered 502 (see MaxConcurrentHubRequests)")]
    private partial void LogHubBusy(int limit);

    [LoggerMessage(EventId = GatewayEventIds.JupyterHubAuthenticatorBadReply, Level = LogLevel.Error, Message = "JupyterHub: {Url} gave an answer that is not a user model")]
    private partial void LogBadReply(Exception? exception, Uri url);
}
