#!/usr/bin/env bash
# `npm test`: provisions what is missing (npm dependencies, the temporal CLI, the time-skipping test server,
# the full Temporal server for the cluster tests and, as root, Debian's packages and a Docker engine), lints,
# then runs the whole suite in two passes against a dev server that jest's global setup starts:
#  1. every file that keeps to its own task queue, stacks, ports and volumes, two at a time;
#  2. the files that act on what everyone shares, alone: server-kill (kills the Temporal server), emergency
#     (the outage prunes the engine's stopped containers and unused volumes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent lint
bash scripts/provision-host.sh
bash scripts/provision-temporal.sh
bash scripts/provision-test-server.sh
bash scripts/provision-cluster.sh
EXCLUSIVE='test/(server-kill|emergency)\.test\.ts$'
status=0
npx jest --passWithNoTests --maxWorkers=2 --testPathIgnorePatterns "$EXCLUSIVE" "$@" || status=$?
npx jest --passWithNoTests --runInBand --testPathPattern "$EXCLUSIVE" "$@" || status=$?
exit $status
