#!/usr/bin/env bash
# Requests per second of the gateway's API on this machine, the load generator (wrk) sharing its cores:
#   1. GET /api/v1/clusters/ with the authentication cookie, 32 connections;
#   2. the 401 -> Basic -> cookie handshake, 32 connections.
# Usage: bench/api-throughput.sh [seconds per run, default 15] [log level, default WARN]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
level=${2:-WARN}
command -v wrk >/dev/null || { apt-get -o DPkg::Lock::Timeout=300 install -y -qq wrk >&2; }
dotnet build src/DaskGateway.Server -c Release -nologo -v quiet -clp:ErrorsOnly >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
out=$(mktemp)
src/DaskGateway.Server/bin/Release/net10.0/dask-gateway-server \
  --Proxy.Address=127.0.0.1:$port --DaskGateway.LogLevel=$level >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done

# A user with two clusters, so that the list has something to render.
cookie=$(curl -s -o /dev/null -D - -u alice: "http://127.0.0.1:$port/api/v1/clusters/" | sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/p' | tr -d '\r')
for _ in 1 2; do
  curl -sf -o /dev/null -H "Cookie: $cookie" -H 'Content-Type: application/json' -d '{"cluster_options": {}}' "http://127.0.0.1:$port/api/v1/clusters/"
done

echo "# gateway $(git rev-parse --short HEAD), $(nproc) cores, log level $level, ${duration}s per run"
wrk -t2 -c32 -d5s -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/clusters/" >/dev/null   # warm-up (JIT, tiered PGO)
echo "## GET /api/v1/clusters/ with cookie, 32 connections"
wrk -t2 -c32 -d"${duration}s" --latency -s bench/cookie.lua -H "Cookie: $cookie" "http://127.0.0.1:$port/api/v1/clusters/"
echo "## 401 -> Basic -> cookie handshake, 32 connections (each handshake is two requests)"
wrk -t2 -c32 -d"${duration}s" --latency -s bench/handshake.lua "http://127.0.0.1:$port/api/v1/clusters/"
