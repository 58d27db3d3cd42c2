# stop-lib.sh - sourced by krb-down.sh and jhub-ci-stop.sh.
# stop_service_dir NAME DIR MARKER PIDFILE MATCH SECONDS: stop the process whose PID is in
# DIR/PIDFILE (SIGTERM, then SIGKILL after SECONDS), but only while its command line still holds
# MATCH (PIDs get reused), then delete DIR unless KEEP_DIR=1. DIR must hold the marker file MARKER
# that the start script left, so that no other directory is ever deleted. Never kills by name.
stop_service_dir() {
  local name=$1 dir=$2 marker=$3 pidfile=$4 match=$5 seconds=$6 pid
  [ -d "$dir" ] || { log "$dir does not exist: nothing to stop"; return 0; }
  [ -e "$dir/$marker" ] || { log "$dir was not made by the start script: refusing"; return 2; }

  pid="$(cat "$dir/$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && ps -p "$pid" -o args= | grep -q -- "$match"; then
    kill -TERM "$pid"
    for _ in $(seq 1 $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name pid $pid ignored SIGTERM for $seconds s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "$name pid $pid stopped"
  else
    log "no running $name for $dir"
  fi

  if [ "${KEEP_DIR:-0}" = 1 ]; then
    log "kept $dir"
  else
    rm -rf -- "$dir"
  fi
}
