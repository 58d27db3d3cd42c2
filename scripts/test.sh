#!/usr/bin/env bash
# Runs every test (unit, functional, integration) and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh
ensure_prerequisites

if ! dotnet build DaskGateway.slnx -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log=$(mktemp)
# Test projects run one after another: the integration tests start real processes and are timed for 2 cores.
dotnet test --solution DaskGateway.slnx -c Release --no-build --max-parallel-test-modules 1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The runner's closing summary ("succeeded: N", "failed: N") covers every test project.
passed=$(sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' "$log" | tail -1)
passed=${passed:-0}
failed=${failed:-0}

# The scheduler preload's own tests, with real dask-scheduler and dask-worker processes.
if /usr/bin/python3 -m unittest discover -s scheduler/tests 2>&1 | tee "$log.py"; then :; fi
ran=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' "$log.py" | tail -1)
py_failed=$(grep -E '^FAILED \(' "$log.py" | grep -oE '(failures|errors)=[0-9]+' | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')
ran=${ran:-0}
py_failed=${py_failed:-0}
if [ "$ran" = 0 ]; then py_failed=1; fi
passed=$((passed + ran - py_failed))
failed=$((failed + py_failed))
rm -f "$log.py"
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
  # The runner failed without a failed test (a crash, a hang, a project without tests): count it.
  failed=1
fi
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
