#!/usr/bin/env bash
# Puts the full Temporal server, its SQL schema tool and the Web UI server in .tools/bin for `npm run
# cluster` and the cluster tests. Built from the Go module proxy at pinned versions (the server the temporal
# CLI's dev server embeds, and the ui-server that CLI ships) and cached in ~/.cache/lifeline, as the CLI is.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVER=v1.29.1
UI=v2.42.1
CACHE="${LIFELINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifeline}/temporal-cluster-$SERVER-ui-$UI"
mkdir -p .tools/bin
if [ -f .tools/bin/temporal-server.version ] && [ "$(cat .tools/bin/temporal-server.version)" = "$SERVER $UI" ]; then exit 0; fi

build() { # module@version, binary name in the cache
  [ -x "$CACHE/$2" ] && return 0
  command -v go >/dev/null || { echo "error: Go is needed to build $1 (go install $1)" >&2; exit 1; }
  echo "building $1 from the Go module proxy (one time, a few minutes)..." >&2
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "$1"
  mkdir -p "$CACHE" && mv "$tmp"/* "$CACHE/$2" && rm -rf "$tmp"
}
build "go.temporal.io/server/cmd/server@$SERVER" temporal-server
build "go.temporal.io/server/cmd/tools/sql@$SERVER" temporal-sql-tool
build "github.com/temporalio/ui-server/v2/cmd/server@$UI" temporal-ui-server
# The schemas ship in the server module, which `go install` left in the module cache.
SCHEMA="$(go env GOMODCACHE)/go.temporal.io/server@$SERVER/schema/postgresql/v12"
[ -d "$SCHEMA" ] || GOFLAGS=-mod=mod go mod download "go.temporal.io/server@$SERVER"
for b in temporal-server temporal-sql-tool temporal-ui-server; do cp "$CACHE/$b" ".tools/bin/$b"; done
echo "$SCHEMA" > .tools/bin/temporal-server.schema
echo "$SERVER $UI" > .tools/bin/temporal-server.version
