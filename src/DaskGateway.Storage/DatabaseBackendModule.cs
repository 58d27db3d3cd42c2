using DaskGateway.Backends;
using DaskGateway.Clusters;
using DaskGateway.Configuration;
using DaskGateway.Storage.Encryption;
using Microsoft.Extensions.DependencyInjection;

namespace DaskGateway.Storage;

/// <summary>
/// Hosts every <see cref="DBBackendBase"/> backend (local processes, job queues, extensions derived
/// from it) on the gateway's database: the store its <c>DbUrl</c> names, the reconciler that starts,
/// checks and stops clusters and workers through the backend, and their <see cref="IClusterSource"/>.
/// </summary>
public sealed class DatabaseBackendModule : IGatewayBackendModule
{
    private IClusterStore? _store;
    private string _description = "";

    /// <inheritdoc/>
    public void Configure(BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Backend is not DBBackendBase database)
        {
            context.AddError(nameof(Backend), $"{context.Backend.GetType().Name} is not a {nameof(DBBackendBase)}; it names no other backend module");
            return;
        }

        if (!database.StopClustersOnShutdown && IsInMemory(database.DbUrl))
        {
            context.AddError(nameof(DBBackendBase.StopClustersOnShutdown), "When using an in-memory database, `stop_clusters_on_shutdown` must be True");
            return;
        }

        if (context.ConfigurationHasErrors)
        {
            return;
        }

        try
        {
            var keys = database.DbEncryptKeys.Count > 0 ? EncryptionKeys.Parse(database.DbEncryptKeys) : EncryptionKeys.FromEnvironment();
            _store = ClusterStoreFactory.Create(database.DbUrl, keys, Directory.GetCurrentDirectory(), context.LoggerFactory.CreateLogger("DaskGateway.Storage"), out _description);
        }
        catch (ConfigurationException e)
        {
            context.AddError(nameof(DBBackendBase.DbUrl), e.Message);
            return;
        }

        context.StateDescription = _description;
        if (_store is SqliteClusterStore sqlite && !context.IsPrivateApiAddressConfigured)
        {
            // Schedulers left running across a restart were told the old port.
            context.PrivateApiPortFile = Path.ChangeExtension(Path.GetFullPath(sqlite.DatabasePath), ".api-port");
        }
    }

    /// <inheritdoc/>
    public void AddServices(IServiceCollection services, BackendModuleContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        var store = _store ?? throw new InvalidOperationException($"{nameof(Configure)} did not make a store");
        services.AddSingleton((DBBackendBase)context.Backend);
        services.AddSingleton(store);
        services.AddSingleton(new DatabaseDescription(_description));
        services.AddSingleton<ClusterRegistry>();
        services.AddSingleton<ClusterRecords>();
        services.AddSingleton<ClusterReconciler>();
        services.AddSingleton<IClusterSource, DatabaseClusterSource>();
    }

    private static bool IsInMemory(string dbUrl) => dbUrl is "sqlite://" or "sqlite:///:memory:";
}
