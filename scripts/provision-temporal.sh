#!/usr/bin/env bash
# Puts the temporal CLI (dev server + Web UI) at .tools/bin/temporal. Built from the Go module proxy at a
# pinned tag and cached in ~/.cache/lifeline, so a rerun or a fresh clone on the same machine skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=v1.5.1   # newest tag whose go.mod has no replace directive, so `go install` works
CACHE="${LIFELINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifeline}/temporal-$VERSION"
mkdir -p .tools/bin

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

if [ -x .tools/bin/temporal ] && [ "$(cat .tools/bin/temporal.version 2>/dev/null)" = "$VERSION" ]; then exit 0; fi
if on_path=$(command -v temporal 2>/dev/null); then
  v=$("$on_path" --version 2>/dev/null | sed -n 's/^temporal version \([0-9][0-9.]*\).*/\1/p')
  if [ -n "$v" ] && version_ge "$v" "${VERSION#v}"; then
    ln -sf "$on_path" .tools/bin/temporal && echo "$VERSION" > .tools/bin/temporal.version
    echo "using temporal $v from $on_path"; exit 0
  fi
fi
if [ ! -x "$CACHE" ]; then
  command -v go >/dev/null || { echo "error: Go is needed to build the temporal CLI (go install github.com/temporalio/cli/cmd/temporal@$VERSION); install Go or put temporal >= ${VERSION#v} on PATH" >&2; exit 1; }
  echo "building temporal CLI $VERSION from the Go module proxy (one time, a few minutes)..." >&2
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$VERSION"
  mkdir -p "$(dirname "$CACHE")" && mv "$tmp/temporal" "$CACHE" && rmdir "$tmp"
fi
cp "$CACHE" .tools/bin/temporal
echo "$VERSION" > .tools/bin/temporal.version
