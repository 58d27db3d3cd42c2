#!/usr/bin/env bash
# jhub-ci-stop.sh [JHUB_DIR] - stop the hub started by jhub-ci-start.sh (by its
# PID, SIGTERM then SIGKILL after 15 s) and delete its directory
# (keep it with JHUB_KEEP_DIR=1). Safe to call twice. Never kills by name.
set -euo pipefail
log() { printf '[jhub-ci] %s\n' "$*" >&2; }
source "$(dirname "$0")/stop-lib.sh"

dir="${1:-${JHUB_DIR:-}}"
[ -n "$dir" ] || { log "usage: $0 JHUB_DIR (or set JHUB_DIR)"; exit 2; }
KEEP_DIR="${JHUB_KEEP_DIR:-0}" stop_service_dir hub "$dir" .jhub-ci hub.pid "$dir/jupyterhub_config.py" 15
