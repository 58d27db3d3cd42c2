#!/usr/bin/env bash
# Builds and starts the gateway on its embedded defaults; any arguments are passed on
# (for example --Proxy.Address=:9000 or --SimpleAuthenticator.Password=secret).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh
ensure_prerequisites run
echo "Building (Release)..." >&2
dotnet build DaskGateway.slnx -c Release -nologo -v quiet -clp:ErrorsOnly >&2

# The embedded defaults stop a cluster after an idle hour, so that a forgotten one does not hold
# the machine; the server's own default, like upstream's, is never. A config file or an argument
# that sets IdleTimeout decides instead.
defaults=(--ClusterConfig.IdleTimeout=3600)
for argument in "$@"; do
  case "$argument" in
    *IdleTimeout*|-f|-f=*|--config|--config=*) defaults=() ;;
  esac
done
if [ ${#defaults[@]} -gt 0 ]; then
  echo "Idle clusters shut down after 1 hour (--ClusterConfig.IdleTimeout=3600; pass --ClusterConfig.IdleTimeout=0 to keep them)." >&2
fi
exec src/DaskGateway.Server/bin/Release/net10.0/dask-gateway-server "${defaults[@]}" "$@"
