namespace DaskGateway.Logging;

/// <summary>
/// Every event id the gateway logs with, in one table: operators filter and alert on them, so an id
/// names one event for good. New events take the next free id of their area; ids are never reused.
/// A test checks that every <c>[LoggerMessage]</c> of the gateway uses an id of this table and that none
/// is used twice. Each constant is named after the class that logs it; its summary is the message.
/// Extensions should log with ids of 100000 and above, which the gateway never uses.
/// </summary>
public static class GatewayEventIds
{
    /// <summary>{StatusCode} {Method} {Target} {ElapsedMilliseconds:F3}ms</summary>
    public const int ApiMiddlewareRequest = 1000;
    /// <summary>Unhandled error in {Method} {Path}</summary>
    public const int ApiMiddlewareUnhandled = 1001;
    /// <summary>{StatusCode} for {Method} {Path}: {Reason}</summary>
    public const int ApiMiddlewareBadRequest = 1002;
    /// <summary>Private API at {ApiUrl}</summary>
    public const int GatewayLifetimeApiUrl = 1020;
    /// <summary>Cluster state: {Store}</summary>
    public const int GatewayLifetimeStore = 1021;
    /// <summary>Private API reuses port {Port} from {Path}, so clusters that outlived the last run keep reaching it</summary>
    public const int PrivateApiPortFileReused = 1040;
    /// <summary>Private API port {Port} (saved in {Path} by the last run) is in use by another process; listening on a new port instead. Clusters still running from the last run report to the old port and will fail when their heartbeat timeout passes. Free the port and restart, or set DaskGateway.Address to a fixed address</summary>
    public const int PrivateApiPortFileTaken = 1041;
    /// <summary>Ignoring the private API port file {Path}: {Problem}; listening on a new port</summary>
    public const int PrivateApiPortFileUnreadable = 1042;
    /// <summary>Could not save the private API port in {Path} ({Problem}); after a restart, running clusters may not reach the gateway</summary>
    public const int PrivateApiPortFileNotSaved = 1043;
    /// <summary>The public address {Address} is reachable from other machines and simple authentication accepts any user with any password: anyone who reaches it can start processes here as this gateway's user. Set SimpleAuthenticator.Password, or choose another authenticator</summary>
    public const int GatewayLifetimeOpenWithoutPassword = 1044;

    /// <summary>Cluster options for user {UserName} could not be made</summary>
    public const int ClusterRequestsOptionsFailed = 1104;
    /// <summary>Cluster {ClusterName} {EventKind}: {EventMessage}</summary>
    public const int ClusterTimelineClusterEvent = 1110;
    /// <summary>Cluster {ClusterName} failed to start</summary>
    public const int ClusterStateMachineStartFailed = 1111;
    /// <summary>Stopping cluster {ClusterName} failed</summary>
    public const int ClusterStateMachineStopFailed = 1112;
    /// <summary>Worker {WorkerName} of cluster {ClusterName} failed to start</summary>
    public const int WorkerStateMachineWorkerStartFailed = 1113;
    /// <summary>Stopping worker {WorkerName} of cluster {ClusterName} failed</summary>
    public const int WorkerStateMachineWorkerStopFailed = 1114;
    /// <summary>Restored {Count} clusters from the store; {Active} still active</summary>
    public const int ClusterRestoreRestored = 1115;
    /// <summary>Deleted {Count} old cluster records</summary>
    public const int ClusterRetentionCleanedUp = 1116;
    /// <summary>A periodic check failed</summary>
    public const int ClusterReconcilerLoopFailed = 1117;
    /// <summary>Shutdown ended with {Count} clusters not yet stopped</summary>
    public const int ClusterReconcilerShutdownIncomplete = 1118;
    /// <summary>Refused a heartbeat of cluster {ClusterName}: {Problem}</summary>
    public const int ClusterApiAddressesRefused = 1130;

    /// <summary>Scheduler API {ApiAddress} answered {StatusCode} (attempt {Attempt})</summary>
    public const int SchedulerClientRejected = 1200;
    /// <summary>Scheduler API {ApiAddress} unreachable (attempt {Attempt}): {Reason}</summary>
    public const int SchedulerClientUnreachable = 1201;

    /// <summary>Authenticated user {UserName}</summary>
    public const int UserAuthenticationAuthenticated = 1300;
    /// <summary>Authenticator {Authenticator} failed</summary>
    public const int UserAuthenticationAuthenticatorFailed = 1301;

    /// <summary>Created a new database encryption key file at {Path}; keep it with the database and back it up, since the encrypted cluster credentials cannot be read without it</summary>
    public const int KeyFileCreated = 1500;
    /// <summary>Read {Count} database encryption key(s) from {Path}</summary>
    public const int KeyFileLoaded = 1501;

    /// <summary>Error while reconciling {Key}, retrying in {RetryDelay}</summary>
    public const int ReconcilerReconcileFailed = 1600;

    /// <summary>Created database {Path} (schema version {Version})</summary>
    public const int SqliteClusterStoreCreated = 1700;
    /// <summary>Upgraded database {Path} from schema version {From} to {To}</summary>
    public const int SqliteClusterStoreUpgraded = 1701;
    /// <summary>Loaded {Clusters} cluster(s), {Workers} worker(s) and {Events} event(s) from {Path}</summary>
    public const int SqliteClusterStoreLoaded = 1702;
    /// <summary>Writing to database {Path} failed; {Count} write(s) were not stored</summary>
    public const int SqliteClusterStoreWriteFailed = 1703;
    /// <summary>Database {Path} is accessible to other users (mode {Mode}); it holds user names and cluster options: restrict it to its owner with `chmod 600 {Path}`</summary>
    public const int SqliteDatabaseFileAccessibleToOthers = 1705;
    /// <summary>Database {Path} could not be switched to WAL journal mode (it is in {JournalMode} mode); writes will be slower</summary>
    public const int SqliteDatabaseFileNoWal = 1706;

    /// <summary>Loaded extension {Origin}; configurable classes: {Classes}</summary>
    public const int ScriptingLogExtensionLoaded = 1800;
    /// <summary>Skipped {Path} in an extension directory: the gateway ships an assembly of that name and uses its own</summary>
    public const int ScriptingLogHostAssemblySkipped = 1801;
    /// <summary>Extensions and config script loaded in {ElapsedMs} ms ({Compiled} compiled, {FromCache} from the compilation cache)</summary>
    public const int ScriptingLogConfigurationLoaded = 1802;

    /// <summary>Connection id "{ConnectionId}" for cluster {ClusterName}: piping to {Target}</summary>
    public const int SniRouterPiping = 1900;
    /// <summary>Connection id "{ConnectionId}" for cluster {ClusterName} ended ({How}): {SentBytes} bytes to the scheduler, {ReceivedBytes} bytes back</summary>
    public const int SniRouterPiped = 1901;
    /// <summary>Connection id "{ConnectionId}" asked for cluster {ClusterName}, which has no route (unknown or not running): closed</summary>
    public const int UnknownClusterLogUnknownCluster = 1902;
    /// <summary>Connection id "{ConnectionId}" on the scheduler listener is not a scheduler connection ({Status}): closed</summary>
    public const int SniRouterNotForScheduler = 1903;
    /// <summary>Connection id "{ConnectionId}" closed before routing: {Outcome}</summary>
    public const int SniRouterEndedEarly = 1904;
    /// <summary>Connection id "{ConnectionId}" failed unexpectedly and was closed</summary>
    public const int SniRouterFailed = 1905;
    /// <summary>{Count} connection(s) for unknown clusters in the last {Seconds} s, closed (each is logged at DEBUG)</summary>
    public const int UnknownClusterLogSummary = 1906;
    /// <summary>Scheduler at {Target} could not be reached: {Reason}</summary>
    public const int SocketDialerUnreachable = 1910;
    /// <summary>SNI route target {Target} is not host:port</summary>
    public const int SocketDialerBadTarget = 1911;
    /// <summary>Forwarding {Method} {Path} to {Destination} failed: {Error}</summary>
    public const int HttpRouteForwarderForwardingFailed = 1920;
    /// <summary>Route watch {RequestId} ended: the follower fell too far behind</summary>
    public const int RouteApiWatchEnded = 1930;
    /// <summary>Routes of {Url}: {Count} routes as of event {Id}</summary>
    public const int RouteFollowerOptionsSynced = 1940;
    /// <summary>Route changes after event {Id} are no longer kept by {Url}: reading the whole table again</summary>
    public const int RouteFollowerOptionsRefetching = 1941;
    /// <summary>Following the routes of {Url} failed ({Reason}); trying again in {DelaySeconds} s</summary>
    public const int RouteFollowerOptionsFailed = 1942;

    /// <summary>Kerberos: accepting tickets for {Principals} (keytab {Keytab})</summary>
    public const int KerberosAuthenticatorAccepting = 2000;
    /// <summary>Kerberos: the keytab {Keytab} also holds keys for {Principals}; tickets for them are refused, and the service's keys were read once (restart after rotating them)</summary>
    public const int KerberosAuthenticatorOtherPrincipalsIgnored = 2001;
    /// <summary>Kerberos: authenticated {Principal} with a ticket for {Service}</summary>
    public const int KerberosAuthenticatorAuthenticated = 2002;
    /// <summary>Kerberos: refused a ticket for {Service}: GSS-API status {Status}</summary>
    public const int KerberosAuthenticatorRejected = 2003;
    /// <summary>Kerberos: refused a ticket for {Service}: this gateway is the service {ServiceName}</summary>
    public const int KerberosAuthenticatorWrongService = 2004;
    /// <summary>Kerberos: GSS-API failed on a ticket for {Service}</summary>
    public const int KerberosAuthenticatorGssError = 2005;
    /// <summary>JupyterHub: checking tokens at {Url}; required service access: {Service}; accepted tokens trusted for {CacheSeconds} s</summary>
    public const int JupyterHubAuthenticatorUsing = 2020;
    /// <summary>JupyterHub: UseServiceAccessScopes is set but no service name (JupyterhubServiceName or JUPYTERHUB_SERVICE_NAME): access scopes are not checked</summary>
    public const int JupyterHubAuthenticatorScopesNeedServiceName = 2021;
    /// <summary>JupyterHub: refused a token (the hub answered {Status})</summary>
    public const int JupyterHubAuthenticatorTokenRefused = 2022;
    /// <summary>JupyterHub: the token of {Name} ({Kind}) lacks access to service {Service}</summary>
    public const int JupyterHubAuthenticatorNoAccessScope = 2023;
    /// <summary>JupyterHub: cannot reach {Url}</summary>
    public const int JupyterHubAuthenticatorHubUnreachable = 2024;
    /// <summary>JupyterHub: {Url} answered {Status} to a token check</summary>
    public const int JupyterHubAuthenticatorHubFailed = 2025;
    /// <summary>JupyterHub: {Url} gave an answer that is not a user model</summary>
    public const int JupyterHubAuthenticatorBadReply = 2026;
    /// <summary>JupyterHub: {Limit} token checks are under way and another waited too long for its turn; it was answered 502 (see MaxConcurrentHubRequests)</summary>
    public const int JupyterHubAuthenticatorHubBusy = 2027;
    /// <summary>Authenticator {Authenticator} could not check credentials: its identity service is unavailable</summary>
    public const int UserAuthenticationAuthenticatorUnavailable = 2090;

    /// <summary>Listed {Count} {What} at resource version {ResourceVersion}</summary>
    public const int ResourceWatcherListed = 4000;
    /// <summary>Watch of {What} expired at resource version {ResourceVersion}; listing again</summary>
    public const int ResourceWatcherExpired = 4001;
    /// <summary>Watch of {What} failed; retrying in {RetryDelay}</summary>
    public const int ResourceWatcherWatchFailed = 4002;
    /// <summary>A subscriber to {What} failed</summary>
    public const int ResourceWatcherSubscriberFailed = 4003;
    /// <summary>Cluster {Key} is running</summary>
    public const int ClusterReconcilerRunning = 4010;
    /// <summary>Cluster {Key} stopped</summary>
    public const int ClusterReconcilerStopped = 4011;
    /// <summary>Cluster {Key} failed: {Reason}</summary>
    public const int ClusterReconcilerFailed = 4012;
    /// <summary>Cluster {Key}: ignoring unknown config keys {Keys}</summary>
    public const int ClusterReconcilerUnknownConfigKeys = 4013;
    /// <summary>Cluster {Key}: scaling up from {Active} to {Wanted} workers</summary>
    public const int ClusterReconcilerScalingUp = 4014;
    /// <summary>Cluster {Key}: scaling down from {Active} to {Wanted} workers, deleting {Deleting} pending</summary>
    public const int ClusterReconcilerScalingDown = 4015;
    /// <summary>Acquired the leader lease as {Identity}; reconciling</summary>
    public const int KubeControllerStartedLeading = 4030;
    /// <summary>Lost the leader lease as {Identity}; no longer reconciling</summary>
    public const int KubeControllerStoppedLeading = 4031;
    /// <summary>Leader election failed</summary>
    public const int KubeControllerLeaseError = 4032;
    /// <summary>Deleted completed cluster {Namespace}/{Name}</summary>
    public const int KubeControllerDeletedCompleted = 4033;
    /// <summary>Deleting completed clusters failed</summary>
    public const int KubeControllerCleanupFailed = 4034;

    /// <summary>Cluster {ClusterName} requested by {UserName}</summary>
    public const int KubeClusterSourceCreated = 4200;
    /// <summary>Creating a DaskCluster for {UserName} in namespace {Namespace} failed</summary>
    public const int KubeClusterSourceCreateFailed = 4201;
    /// <summary>Stop of cluster {ClusterName} requested: {Reason}</summary>
    public const int KubeClusterSourceStopRequested = 4202;
    /// <summary>Updating the DaskCluster of {ClusterName} failed</summary>
    public const int KubeClusterSourcePatchFailed = 4203;
    /// <summary>The config of cluster {ClusterName} has settings this gateway cannot apply: {Problems}</summary>
    public const int KubeClusterCacheConfigProblems = 4204;
    /// <summary>The credentials Secret {SecretName} of cluster {ClusterName} lacks dask.crt, dask.pem or api-token</summary>
    public const int KubeClusterCacheMalformedSecret = 4205;
    /// <summary>Reading the credentials of cluster {ClusterName} failed; retrying at its next change</summary>
    public const int KubeClusterCacheCredentialsFailed = 4206;
    /// <summary>Cluster {ClusterName} is running; routing to {SchedulerAddress}</summary>
    public const int KubeClusterCacheRouted = 4207;
    /// <summary>Could not add an event to the timeline of cluster {ClusterName}: {Reason}</summary>
    public const int KubeClusterSourceEventNotRecorded = 4209;

    /// <summary>Stopping cluster {ClusterName}: {Reason}</summary>
    public const int ClusterLifetimesStopping = 5100;
    /// <summary>Checking cluster lifetimes failed</summary>
    public const int ClusterLifetimesCheckFailed = 5101;
}
