#!/usr/bin/env bash
# `npm start`: provisions what is missing, then runs the dev server (unless TEMPORAL_ADDRESS names a
# cluster), the worker and the HTTP API. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  bash scripts/provision-temporal.sh
  bash scripts/dev-server.sh .data/temporal.db 7233 8233 &
  pids+=($!)
  export TEMPORAL_ADDRESS=127.0.0.1:7233
  for _ in $(seq 1 120); do .tools/bin/temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break; sleep 0.5; done
fi
if ! docker info >/dev/null 2>&1; then
  bash scripts/provision-host.sh || echo "warning: no Docker engine; host activities will retry until one answers" >&2
fi
node --enable-source-maps dist/worker/main.js &
pids+=($!)
node --enable-source-maps dist/api/main.js &
pids+=($!)
cat <<MSG
Lifeline is running.
  Temporal:  $TEMPORAL_ADDRESS
  Web UI:    http://127.0.0.1:8233 (dev server)
  HTTP API:  http://127.0.0.1:${LIFELINE_API_PORT:-8787}
  CLI:       ./bin/lifeline --help      (try: ./bin/lifeline demo up)
MSG
wait -n "${pids[@]}"
