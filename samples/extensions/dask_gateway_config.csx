// A sample configuration that uses the extensions beside it (the config file's directory is an
// extension directory): the custom authenticator of MyAuthenticator.cs and the per-group cluster
// options of GroupClusterOptions.cs.
//
//     dask-gateway-server -f samples/extensions/dask_gateway_config.csx
//
// Users alice (group "scientists": up to 8 cores per worker) and bob (up to 2) log in with their
// API keys as passwords.
c.DaskGateway.AuthenticatorClass = "myauthenticator.MyAuthenticator";
c.MyAuthenticator.Realm = "corp";
c.MyAuthenticator.ApiKeys = new Dictionary<string, string>
{
    ["alice"] = Environment.GetEnvironmentVariable("ALICE_API_KEY") ?? "alice-key",
    ["bob"] = Environment.GetEnvironmentVariable("BOB_API_KEY") ?? "bob-key",
};
c.MyAuthenticator.Groups = new Dictionary<string, string> { ["alice"] = "scientists,staff" };

// A method (or a lambda) becomes a setting value through a delegate type:
c.Backend.ClusterOptions = (Func<User, Options>)GroupClusterOptions.For;
// The same with a lambda:
//     c.Backend.ClusterOptions = (Func<User, Options>)(user => GroupClusterOptions.For(user));

c.ClusterConfig.ClusterMaxCores = 16;
c.Proxy.Address = ":8000";
