#!/usr/bin/env bash
# krb-down.sh [KRB_DIR] - stop the KDC started by krb-up.sh (by its PID, SIGTERM
# then SIGKILL after 10 s) and delete its directory (keep it with KRB_KEEP_DIR=1).
# Safe to call twice. Never kills by name.
set -euo pipefail
log() { printf '[krb-down] %s\n' "$*" >&2; }
source "$(dirname "$0")/stop-lib.sh"

dir="${1:-${KRB_DIR:-}}"
[ -n "$dir" ] || { log "usage: $0 KRB_DIR (or set KRB_DIR)"; exit 2; }
KEEP_DIR="${KRB_KEEP_DIR:-0}" stop_service_dir krb5kdc "$dir" .krb-ci kdc.bgpid "$dir/kdc.pid" 10
