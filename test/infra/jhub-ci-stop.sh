#!/usr/bin/env bash
# jhub-ci-stop.sh [JHUB_DIR] - stop the hub started by jhub-ci-start.sh (by its
# PID, SIGTERM then SIGKILL after 15 s) and delete its directory
# (keep it with JHUB_KEEP_DIR=1). Safe to call twice. Never kills by name.
set -euo pipefail
log() { printf '[jhub-ci] %s\n' "$*" >&2; }

dir="${1:-${JHUB_DIR:-}}"
[ -n "$dir" ] || { log "usage: $0 JHUB_DIR (or set JHUB_DIR)"; exit 2; }
[ -d "$dir" ] || { log "$dir does not exist: nothing to stop"; exit 0; }
[ -e "$dir/.jhub-ci" ] || { log "$dir was not made by jhub-ci-start.sh: refusing"; exit 2; }

pid="$(cat "$dir/hub.pid" 2>/dev/null || true)"
# only signal the PID if it is still our jupyterhub (PIDs get reused)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
   && ps -p "$pid" -o args= | grep -q -- "$dir/jupyterhub_config.py"; then
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "hub pid $pid ignored SIGTERM for 15 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "hub pid $pid stopped"
else
  log "no running hub for $dir"
fi

if [ "${JHUB_KEEP_DIR:-0}" = 1 ]; then
  log "kept $dir (hub.log, jupyterhub.sqlite, hub.env)"
else
  rm -rf -- "$dir"
fi
