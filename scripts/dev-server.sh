#!/usr/bin/env bash
# Runs the Temporal dev server on 127.0.0.1 with a SQLite file (workflows survive a restart), the Web UI,
# and Lifeline's search attributes. Usage: dev-server.sh [db-file] [port] [ui-port]
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${1:-.data/temporal.db}"
PORT="${2:-7233}"
UI_PORT="${3:-$((PORT + 1000))}"
mkdir -p "$(dirname "$DB")"
# The Web UI decodes Lifeline's encrypted payloads through the API's codec endpoint (log in at /codec/login).
CODEC="${LIFELINE_UI_CODEC_ENDPOINT:-http://127.0.0.1:${LIFELINE_API_PORT:-8787}/codec}"
# The same command line as the tests and benchmarks (src/config/dev-server.ts).
mapfile -t args < <(node -e '
  const [dbFile, port, uiPort, uiCodecEndpoint] = process.argv.slice(1);
  const { devServerArgs } = require("./dist/config/dev-server");
  console.log(devServerArgs({ dbFile, port: +port, uiPort: +uiPort, uiCodecEndpoint }).join("\n"));
' "$DB" "$PORT" "$UI_PORT" "$CODEC")
exec .tools/bin/temporal "${args[@]}"
