#!/usr/bin/env bash
# `npm test`: provisions npm dependencies, lints (ESLint, Prettier, knip), provisions the temporal CLI, the
# time-skipping test server, the full Temporal server for the cluster tests and (as
# root) a Docker engine, then runs the whole suite against a dedicated dev server that jest's global setup starts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent lint
bash scripts/provision-host.sh
bash scripts/provision-temporal.sh
bash scripts/provision-test-server.sh
bash scripts/provision-cluster.sh
exec npx jest --runInBand "$@"
