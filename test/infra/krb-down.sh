#!/usr/bin/env bash
# krb-down.sh [KRB_DIR] - stop the KDC started by krb-up.sh (by its PID, SIGTERM
# then SIGKILL after 10 s) and delete its directory (keep it with KRB_KEEP_DIR=1).
# Safe to call twice. Never kills by name.
set -euo pipefail
log() { printf '[krb-down] %s\n' "$*" >&2; }

dir="${1:-${KRB_DIR:-}}"
[ -n "$dir" ] || { log "usage: $0 KRB_DIR (or set KRB_DIR)"; exit 2; }
[ -d "$dir" ] || { log "$dir does not exist: nothing to stop"; exit 0; }
[ -e "$dir/.krb-ci" ] || { log "$dir was not made by krb-up.sh: refusing"; exit 2; }

pid="$(cat "$dir/kdc.bgpid" 2>/dev/null || true)"
# only signal the PID if it is still our krb5kdc (PIDs get reused)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
   && ps -p "$pid" -o args= | grep -q -- "$dir/kdc.pid"; then
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "krb5kdc pid $pid ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "krb5kdc pid $pid stopped"
else
  log "no running KDC for $dir"
fi

if [ "${KRB_KEEP_DIR:-0}" = 1 ]; then
  log "kept $dir"
else
  rm -rf -- "$dir"
fi
