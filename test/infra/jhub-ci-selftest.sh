#!/usr/bin/env bash
# jhub-ci-selftest.sh - check the hub from jhub-ci-start.sh answers as the
# authenticator tests expect. Needs the env from hub.env.
set -uo pipefail
: "${HUB_API_URL:?source \$JHUB_DIR/hub.env first}"
ACCESS="access:services!service=${JHUB_SERVICE_NAME:-dask-gateway}"
pass=0; fail=0

# check NAME TOKEN EXPECTED_STATUS [python expression over reply dict `r`]
check() {
  local name=$1 tok=$2 want=$3 expr=${4:-True} body code
  body="$(curl -s -w '\n%{http_code}' -H "Authorization: token $tok" "$HUB_API_URL/user")"
  code="${body##*$'\n'}"; body="${body%$'\n'*}"
  if [ "$code" = "$want" ] && ACCESS="$ACCESS" python3 -c '
import json, os, sys
r = json.loads(sys.argv[2]); A = os.environ["ACCESS"]
sys.exit(0 if eval(sys.argv[1]) else 1)' "$expr" "$body"; then
    pass=$((pass+1)); echo "ok   $name"
  else
    fail=$((fail+1)); echo "FAIL $name: HTTP $code $body"
  fi
}

check alice-access   "$ALICE_TOKEN" 200 \
  'r["kind"]=="user" and r["name"]=="alice" and r["groups"]==["scientists"] and A in r["scopes"]'
check alice-noaccess "$ALICE_NOACCESS_TOKEN" 200 \
  'r["name"]=="alice" and r["groups"]==["scientists"] and not any(s.startswith("access:services") for s in r["scopes"])'
check bob-noaccess   "$BOB_TOKEN" 200 \
  'r["name"]=="bob" and r["admin"] is False and r["groups"]==[] and not any(s.startswith("access:services") for s in r["scopes"])'
check service-token  "$JHUB_SERVICE_TOKEN" 200 \
  'r["kind"]=="service" and r["name"]==os.environ.get("JHUB_SERVICE_NAME","dask-gateway") and "groups" not in r'
check any-service      "$ANY_SERVICE_TOKEN" 200 \
  'r["kind"]=="service" and r["name"]=="any-service" and A in r["scopes"] and "groups" not in r'
check revoked        "$REVOKED_TOKEN" 403 'r=={"status": 403, "message": "Forbidden"}'
check invalid        "$INVALID_TOKEN" 403 'r=={"status": 403, "message": "Forbidden"}'
check empty-token    ""               403
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
