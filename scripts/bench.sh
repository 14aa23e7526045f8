#!/usr/bin/env bash
# `npm run bench`: provisions like `npm test`, then runs the benchmarks (a dedicated dev server on 17333).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
bash scripts/provision-temporal.sh
bash scripts/provision-cluster.sh
bash scripts/provision-host.sh
exec npx tsx bench/index.ts "$@"
