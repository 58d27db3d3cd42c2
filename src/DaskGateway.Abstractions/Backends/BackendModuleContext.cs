using Microsoft.Extensions.Logging;

namespace DaskGateway.Backends;

/// <summary>What a backend module is given at startup: the configured backend and where to report problems.</summary>
public sealed class BackendModuleContext
{
    private readonly Action<string, string> _addError;

    /// <summary>Made by the gateway; tests of a module may make their own.</summary>
    /// <param name="backend">The configured backend.</param>
    /// <param name="loggerFactory">Logging for what the module makes before the gateway's host exists.</param>
    /// <param name="addError">Receives (setting, message) for each problem.</param>
    /// <param name="privateApiAddressConfigured">Whether the operator chose <c>DaskGateway.Address</c>.</param>
    /// <param name="configurationHasErrors">Whether other settings already have errors.</param>
    public BackendModuleContext(Backend backend, ILoggerFactory loggerFactory, Action<string, string> addError, bool privateApiAddressConfigured, bool configurationHasErrors)
    {
        ConfigurationHasErrors = configurationHasErrors;
        Backend = backend;
        LoggerFactory = loggerFactory;
        _addError = addError;
        IsPrivateApiAddressConfigured = privateApiAddressConfigured;
    }

    /// <summary>The configured backend.</summary>
    public Backend Backend { get; }

    /// <summary>Logging for what the module makes during <see cref="IGatewayBackendModule.Configure"/>.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>
    /// True when other settings have errors: the gateway will not start, so a module should only
    /// check its settings, not open or create anything (a database, a key file).
    /// </summary>
    public bool ConfigurationHasErrors { get; }

    /// <summary>Whether the operator chose the private API address; otherwise it is picked at start.</summary>
    public bool IsPrivateApiAddressConfigured { get; }

    /// <summary>
    /// A file in which the private API's port is kept across restarts when the operator did not
    /// choose an address: schedulers that outlive the gateway were told the old port. Null (the
    /// default) lets each start pick a new port.
    /// </summary>
    public string? PrivateApiPortFile { get; set; }

    /// <summary>A line for the startup log saying where cluster state is kept, when known before the source exists.</summary>
    public string? StateDescription { get; set; }

    /// <summary>Reports a problem with one of the backend's settings (or the backend class's section).</summary>
    /// <param name="setting">The setting's name, for example <c>DbUrl</c>.</param>
    /// <param name="message">What is wrong, for the operator.</param>
    public void AddError(string setting, string message) => _addError(setting, message);
}
