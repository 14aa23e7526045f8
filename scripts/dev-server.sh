#!/usr/bin/env bash
# Runs the Temporal dev server on 127.0.0.1 with a SQLite file (workflows survive a restart), the Web UI,
# and Lifeline's search attributes. Usage: dev-server.sh [db-file] [port] [ui-port]
set -euo pipefail
cd "$(dirname "$0")/.."
DB="${1:-.data/temporal.db}"
PORT="${2:-7233}"
UI_PORT="${3:-$((PORT + 1000))}"
mkdir -p "$(dirname "$DB")"
attrs=()
for a in $(node -e 'console.log(require("./dist/domain/search-attributes").SEARCH_ATTRIBUTE_DECLARATIONS.join(" "))'); do
  attrs+=(--search-attribute "$a")
done
# The Web UI decodes Lifeline's encrypted payloads through the API's codec endpoint (log in at /codec/login).
CODEC="${LIFELINE_UI_CODEC_ENDPOINT:-http://127.0.0.1:${LIFELINE_API_PORT:-8787}/codec}"
exec .tools/bin/temporal server start-dev --ip 127.0.0.1 --port "$PORT" --ui-port "$UI_PORT" \
  --db-filename "$DB" --log-level warn --ui-codec-endpoint "$CODEC" "${attrs[@]}"
