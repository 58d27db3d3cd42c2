#!/usr/bin/env bash
# Start of the real executable (Release) to the first 200 of GET /api/health: no config, a typical
# .csx config, and .cs extensions (samples/extensions); with and without the compilation cache.
# Usage: bench/startup.sh [repeats, default 5] [executable, default the Release build]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
dotnet build DaskGateway.slnx -c Release -nologo -v quiet -clp:ErrorsOnly >&2
executable=${2:-$PWD/src/DaskGateway.Server/bin/Release/net10.0/dask-gateway-server}
echo "# gateway $(git rev-parse --short HEAD)"
bench/DaskGateway.Benchmarks/bin/Release/net10.0/DaskGateway.Benchmarks startup "$executable" "$PWD/samples/extensions" "$repeats"
