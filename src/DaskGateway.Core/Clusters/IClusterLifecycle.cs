namespace DaskGateway.Clusters;

/// <summary>
/// How the gateway brings a backend's clusters up and down with itself: what is known is loaded
/// before the gateway serves, tracking starts once the private API address is known, and at
/// shutdown clusters are stopped or left for the next start.
/// </summary>
internal interface IClusterLifecycle
{
    /// <summary>A line for the log saying where cluster state is kept.</summary>
    string StateDescription { get; }

    /// <summary>Loads the clusters known before this start (and their routes) before the gateway serves.</summary>
    Task LoadAsync(CancellationToken cancellationToken);

    /// <summary>Starts tracking clusters; <paramref name="privateApiUrl"/> is how schedulers reach this gateway's API.</summary>
    Task StartAsync(string privateApiUrl, CancellationToken cancellationToken);

    /// <summary>Stops tracking; stops the clusters too when the backend is so configured.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}
