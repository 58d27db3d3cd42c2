#!/usr/bin/env bash
# Builds and starts the gateway on its embedded defaults; any arguments are passed on
# (for example --Proxy.Address=:9000 or --SimpleAuthenticator.Password=secret).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh
ensure_prerequisites run
echo "Building (Release)..." >&2
dotnet build DaskGateway.slnx -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec src/DaskGateway.Server/bin/Release/net10.0/dask-gateway-server "$@"
