#!/usr/bin/env bash
# `npm test`: provisions what is missing (npm dependencies, the temporal CLI, the time-skipping test server,
# the full Temporal server for the cluster tests and, as root, Debian's packages and a Docker engine), then
# runs the whole suite in two passes against a dev server that jest's global setup starts, and lints:
#  1. every file that keeps to its own task queue, stacks, ports and volumes, three at a time (most of a
#     file's time is spent waiting on containers and timers, so three fill two cores);
#  2. the files that act on what everyone shares, alone: server-kill (kills the Temporal server), emergency
#     (the outage prunes the engine's stopped containers and unused volumes).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says how long it took: where a fresh machine's time goes.
timed() {
  local start=$SECONDS rc=0
  "$@" || rc=$?
  echo "[npm test] $* : $((SECONDS - start)) s (exit $rc)" >&2
  return $rc
}
timed bash scripts/ensure-deps.sh
timed bash scripts/provision-host.sh
timed bash scripts/provision-temporal.sh
timed bash scripts/provision-test-server.sh
timed bash scripts/provision-cluster.sh
EXCLUSIVE='test/(server-kill|emergency)\.test\.ts$'
LINT_LOG=$(mktemp)
status=0
timed npx jest --passWithNoTests --maxWorkers=3 --testPathIgnorePatterns "$EXCLUSIVE" "$@" || status=$?
# The lint (a type-check, eslint, prettier, knip: CPU-bound) runs beside pass 2, whose two files mostly wait
# on a server restart and on containers, rather than before the suite on two busy cores.
timed npm run --silent lint > "$LINT_LOG" 2>&1 &
lint=$!
trap 'kill "$lint" 2>/dev/null || true; rm -f "$LINT_LOG"' EXIT
timed npx jest --passWithNoTests --runInBand --testPathPattern "$EXCLUSIVE" "$@" || status=$?
wait $lint || status=1
cat "$LINT_LOG" >&2
exit $status
