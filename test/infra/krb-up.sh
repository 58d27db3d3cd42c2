#!/usr/bin/env bash
# krb-up.sh - start a throwaway MIT Kerberos KDC on 127.0.0.1 for the Kerberos
# authenticator's tests (after test-infra.md recipe B). No systemd, no root
# files: all state lives in $KRB_DIR.
#
# One krb5kdc process serves two realms on one free port:
# - FEAS.TEST (the gateway's): users alice (password alicepw) and bob (bobpw),
#   service HTTP/localhost with its key in $KRB_DIR/http.keytab, another service
#   host/localhost (in $KRB_DIR/mixed.keytab together with HTTP/localhost), and
#   alice's key in $KRB_DIR/alice.keytab (for kinit -k)
# - OTHER.TEST (a foreign realm, no trust): user mallory (mallorypw) and its own
#   HTTP/localhost, whose key the gateway does not have
# krb5.conf maps localhost to FEAS.TEST; krb5-other.conf maps it to OTHER.TEST
# (a client using it gets a ticket for HTTP/localhost@OTHER.TEST).
# clockskew is 1 s so that an expired ticket is refused without a long wait.
#
# Usage:
#   eval "$(bash krb-up.sh)"      # stdout is only `export K=V` lines
#   ... run tests with KRB5_CONFIG=$KRB_CONFIG, KRB5_KTNAME=$KRB_KEYTAB ...
#   bash krb-down.sh "$KRB_DIR"
# The same lines are written to $KRB_DIR/krb.env. Progress and errors go to stderr.
# Knobs (env): KRB_DIR (must be empty or absent; default mktemp -d),
#   KRB_START_TIMEOUT (10 s).
set -euo pipefail

log() { printf '[krb-up] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in krb5kdc kdb5_util kadmin.local kinit ss shuf; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "$tool" >/dev/null 2>&1 \
    || die "$tool not found: apt-get install --no-install-recommends krb5-kdc krb5-admin-server krb5-user iproute2"
done

if [ -n "${KRB_DIR:-}" ]; then
  mkdir -p "$KRB_DIR"
  [ -z "$(ls -A "$KRB_DIR")" ] || die "KRB_DIR=$KRB_DIR is not empty"
else
  KRB_DIR="$(mktemp -d "${TMPDIR:-/tmp}/krb.XXXXXX")"
fi
K="$(cd "$KRB_DIR" && pwd -P)"
: > "$K/.krb-ci"   # marker: krb-down.sh only deletes directories holding it
REALM=FEAS.TEST
OTHER=OTHER.TEST
START_TIMEOUT="${KRB_START_TIMEOUT:-10}"

# krb5kdc cannot bind a port that still has TIME_WAIT sockets: pick one nobody uses.
PORT=
while [ -z "$PORT" ]; do
  p=$(shuf -i 20000-40000 -n 1)
  [ -z "$(ss -Htanu "sport = :$p")" ] && PORT=$p
done

write_krb5_conf() {  # $1 = file, $2 = the realm of localhost and the default realm
  cat > "$1" <<CONF
[libdefaults]
  default_realm = $2
  dns_lookup_realm = false
  dns_lookup_kdc = false
  dns_canonicalize_hostname = false
  rdns = false
  udp_preference_limit = 1
  clockskew = 1
[realms]
  $REALM = {
    kdc = 127.0.0.1:$PORT
  }
  $OTHER = {
    kdc = 127.0.0.1:$PORT
  }
[domain_realm]
  localhost = $2
  127.0.0.1 = $2
CONF
}
write_krb5_conf "$K/krb5.conf" "$REALM"
write_krb5_conf "$K/krb5-other.conf" "$OTHER"

cat > "$K/kdc.conf" <<CONF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$PORT
  kdc_tcp_listen = 127.0.0.1:$PORT
[realms]
  $REALM = {
    database_name = $K/principal
    key_stash_file = $K/stash
    acl_file = $K/kadm5.acl
    max_life = 10h 0m 0s
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
  $OTHER = {
    database_name = $K/other-principal
    key_stash_file = $K/other-stash
    acl_file = $K/kadm5.acl
    max_life = 10h 0m 0s
    supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  }
[logging]
  kdc = FILE:$K/kdc.log
CONF
: > "$K/kadm5.acl"

export KRB5_CONFIG="$K/krb5.conf" KRB5_KDC_PROFILE="$K/kdc.conf"
admin() { kadmin.local -r "$1" -q "$2" >/dev/null 2>>"$K/kadmin.log" || die "kadmin.local -r $1 -q '$2' failed (log: $K/kadmin.log)"; }
kdb5_util create -s -r "$REALM" -P masterpw >/dev/null 2>>"$K/kadmin.log" || die "kdb5_util create $REALM failed"
kdb5_util create -s -r "$OTHER" -P masterpw >/dev/null 2>>"$K/kadmin.log" || die "kdb5_util create $OTHER failed"
admin "$REALM" "addprinc -pw alicepw alice@$REALM"
admin "$REALM" "addprinc -pw bobpw bob@$REALM"
admin "$REALM" "addprinc -randkey HTTP/localhost@$REALM"
admin "$REALM" "ktadd -k $K/http.keytab HTTP/localhost@$REALM"
admin "$REALM" "addprinc -randkey host/localhost@$REALM"
# -norandkey: exporting again must not change the keys already in http.keytab
admin "$REALM" "ktadd -k $K/mixed.keytab -norandkey HTTP/localhost@$REALM host/localhost@$REALM"
admin "$REALM" "ktadd -k $K/alice.keytab -norandkey alice@$REALM"
admin "$OTHER" "addprinc -pw mallorypw mallory@$OTHER"
admin "$OTHER" "addprinc -randkey HTTP/localhost@$OTHER"

krb5kdc -n -r "$REALM" -r "$OTHER" -P "$K/kdc.pid" > "$K/kdc.stdout" 2>&1 &   # -n: foreground, we hold its PID
KDC_PID=$!
echo "$KDC_PID" > "$K/kdc.bgpid"
ready=0
for _ in $(seq 1 $((START_TIMEOUT * 10))); do
  kill -0 "$KDC_PID" 2>/dev/null || break
  if ss -Hltn "sport = :$PORT" | grep -q .; then ready=1; break; fi
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  kill -TERM "$KDC_PID" 2>/dev/null || true
  cat "$K/kdc.stdout" "$K/kdc.log" >&2 2>/dev/null || true
  die "krb5kdc did not listen on 127.0.0.1:$PORT within ${START_TIMEOUT}s"
fi
log "krb5kdc pid $KDC_PID serves $REALM and $OTHER on 127.0.0.1:$PORT"

{
  printf 'export %s=%q\n' \
    KRB_DIR "$K" \
    KRB_KDC_PID "$KDC_PID" \
    KRB_KDC_PORT "$PORT" \
    KRB_REALM "$REALM" \
    KRB_OTHER_REALM "$OTHER" \
    KRB_CONFIG "$K/krb5.conf" \
    KRB_OTHER_CONFIG "$K/krb5-other.conf" \
    KRB_KEYTAB "$K/http.keytab" \
    KRB_MIXED_KEYTAB "$K/mixed.keytab" \
    KRB_ALICE_KEYTAB "$K/alice.keytab"
} > "$K/krb.env"
cat "$K/krb.env"
