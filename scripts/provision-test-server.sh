#!/usr/bin/env bash
# Puts Temporal's time-skipping test server (io.temporal:temporal-test-server, Java) at
# .tools/bin/temporal-test-server for the fast tier: its timers fire as soon as no workflow is busy, so a
# 15-minute decision point takes milliseconds. Resolved from Maven Central at a pinned version with its
# dependencies and cached in ~/.cache/lifeline; the TypeScript SDK starts it as an existing executable.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.31.0
CACHE="${LIFELINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lifeline}/temporal-test-server-$VERSION"
mkdir -p .tools/bin

if [ ! -f "$CACHE/complete" ]; then
  command -v mvn >/dev/null || { echo "error: Maven (and Java 17) are needed to fetch io.temporal:temporal-test-server:$VERSION" >&2; exit 1; }
  echo "fetching temporal-test-server $VERSION from Maven Central (one time)..." >&2
  tmp=$(mktemp -d)
  cat > "$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>lifeline</groupId><artifactId>test-server</artifactId><version>1</version>
  <dependencies><dependency>
    <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$VERSION</version>
  </dependency></dependencies>
</project>
POM
  (cd "$tmp" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib)
  rm -rf "$CACHE" && mkdir -p "$(dirname "$CACHE")" && mv "$tmp/lib" "$CACHE" && rm -rf "$tmp"
  touch "$CACHE/complete"
fi
# The SDK runs `<executable> <port>`; the server is a Java main class, so the executable is a launcher.
cat > .tools/bin/temporal-test-server <<LAUNCHER
#!/bin/sh
exec java -Xss512k -XX:+UseSerialGC -cp '$CACHE/*' io.temporal.testserver.TestServer "\$@"
LAUNCHER
chmod +x .tools/bin/temporal-test-server
