using System.Globalization;
using DaskGateway.Auth;
using DaskGateway.Backends;
using DaskGateway.Logging;
using Microsoft.Extensions.Logging;

namespace DaskGateway.Clusters;

/// <summary>
/// What every backend does the same way with a user's request: the options they may set, the
/// cluster config made from their choices, and the limits applied to scale and adapt requests.
/// </summary>
internal sealed partial class ClusterRequests
{
    private readonly Backend _backend;
    private readonly IClusterConfigFactory _configFactory;
    private readonly ILogger<ClusterRequests> _logger;

    public ClusterRequests(Backend backend, IClusterConfigFactory configFactory, ILogger<ClusterRequests> logger)
    {
        _backend = backend;
        _configFactory = configFactory;
        _logger = logger;
    }

    public async Task<ClusterResult<Options>> GetOptionsAsync(User user)
    {
        try
        {
            return await _backend.ClusterOptions.GetAsync(user);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogOptionsFailed(e, LogText.Escape(user.Name));
            return ClusterError.Invalid($"Failed to get cluster options: {e.Message}");
        }
    }

    /// <summary>Validates the user's options and makes the new cluster's config from them.</summary>
    public async Task<ClusterResult<NewCluster>> PrepareAsync(User user, object? requestedOptions)
    {
        var options = await GetOptionsAsync(user);
        if (options.Error is { } optionsError)
        {
            return optionsError;
        }

        try
        {
            var parsed = options.Value!.Parse(requestedOptions);
            var overrides = options.Value.GetConfiguration(parsed, user);
            var config = _configFactory.Create(_backend.ClusterConfigClass, overrides, out var errors);
            var problems = errors.Concat(config.Validate()).ToList();
            return problems.Count > 0 ? ClusterError.Invalid(string.Join("; ", problems)) : new NewCluster(parsed, config);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // As upstream: anything that goes wrong turning options into a config is the request's fault (422).
            return ClusterError.Invalid(e.Message);
        }
    }

    /// <summary>A scale request within the cluster's worker limit: the count to apply and the reply.</summary>
    public static (int Count, ScaleReply Reply) LimitScale(ClusterConfig config, int count)
    {
        var limit = config.WorkerLimit;
        if (count > limit)
        {
            return (limit, new ScaleReply(false, $"Scale request of {count} workers would exceed resource limit of {limit} workers. Scaling to {limit} instead."));
        }

        return (count, new ScaleReply(true, null));
    }

    /// <summary>An adapt request within the cluster's worker limit: the bounds to apply and the reply.</summary>
    public static (AdaptRequest Request, ScaleReply Reply) LimitAdapt(ClusterConfig config, AdaptRequest request)
    {
        var limit = config.WorkerLimit;
        var requestedMax = request.Maximum ?? limit;
        var requestedMin = request.Minimum ?? 0;
        if (requestedMax <= limit && requestedMin <= limit)
        {
            return (request with { Minimum = requestedMin, Maximum = requestedMax }, new ScaleReply(true, null));
        }

        var (maximum, minimum) = (Math.Min(requestedMax, limit), Math.Min(requestedMin, limit));
        var message = string.Create(
            CultureInfo.InvariantCulture,
            $"Adapt with `maximum={requestedMax}, minimum={requestedMin}` workers would exceed resource limit of {limit} workers. Using `maximum={maximum}, minimum={minimum}` instead.");
        return (request with { Minimum = minimum, Maximum = maximum }, new ScaleReply(false, message));
    }

    /// <summary>The body of a scale request to a scheduler (protocol.md §3.6).</summary>
    public static string ScaleBody(int count) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { ["op"] = "scale", ["count"] = count });

    /// <summary>The body of an adapt request to a scheduler (protocol.md §3.6).</summary>
    public static string AdaptBody(AdaptRequest request) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["op"] = "adapt",
            ["minimum"] = request.Minimum,
            ["maximum"] = request.Maximum,
            ["active"] = request.Active,
        });

    [LoggerMessage(EventId = GatewayEventIds.ClusterRequestsOptionsFailed, Level = LogLevel.Error, Message = "Cluster options for user {UserName} could not be made")]
    private partial void LogOptionsFailed(Exception exception, string userName);
}

/// <summary>A new cluster's validated options (keyed by field, as shown to the user) and its config.</summary>
internal sealed record NewCluster(IReadOnlyDictionary<string, object?> Options, ClusterConfig Config);
