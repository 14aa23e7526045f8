#!/usr/bin/env bash
# npm can run a script before node_modules exists: install dependencies when they are missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The fast tier runs TypeScript through ts-jest and needs no build.
[ "${1:-}" = "--no-build" ] || npx tsc -p tsconfig.json
