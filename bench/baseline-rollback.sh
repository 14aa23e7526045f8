#!/usr/bin/env bash
# Baseline for the recovery-time benchmark: the runbook's container rollback done by hand with the docker
# CLI, as fast as a script can: stop all, remove, recreate on the previous tag, start, poll health tightly.
# Usage: [HEALTH_INTERVAL=10s] baseline-rollback.sh <project> <tag> <port>...
# HEALTH_INTERVAL: Docker's health check interval, as the stack's compose file would set it (default: the image's).
set -euo pipefail
project=$1; tag=$2; shift 2
i=0; names=()
# Compose v2 names, as the fixture stack uses: <project>-<service>-1.
for port in "$@"; do names+=("$project-svc$i-1"); i=$((i + 1)); done
docker stop -t 2 "${names[@]}" >/dev/null
docker rm "${names[@]}" >/dev/null
i=0; runs=()
for port in "$@"; do
  docker run -d --name "$project-svc$i-1" --network host --init -e "PORT=$port" -e "SERVICE=svc$i" \
    ${HEALTH_INTERVAL:+--health-interval "$HEALTH_INTERVAL"} \
    --label "com.docker.compose.project=$project" --label "com.docker.compose.service=svc$i" \
    "lifeline-fixture/spacetime:$tag" >/dev/null &
  runs+=($!); i=$((i + 1))
done
# Each run's own status: a bare `wait` would report success even when a `docker run` failed.
for pid in "${runs[@]}"; do wait "$pid"; done
for port in "$@"; do
  until curl -sf -o /dev/null "http://127.0.0.1:$port/health/"; do sleep 0.02; done
done
