#!/usr/bin/env bash
# Makes sure the Debian packages the fixtures, peers, browser test, cluster (PostgreSQL) and fast tier (Maven) need are installed, and a Docker engine answers.
# As root it installs Debian's packages and starts dockerd (no bridge, no iptables: containers use host networking).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(docker.io busybox-static nginx-light docker-compose prometheus-alertmanager prometheus prometheus chromium jq curl postgresql maven)
COMMANDS=(dockerd /bin/busybox /usr/sbin/nginx docker-compose prometheus-alertmanager prometheus promtool /usr/bin/chromium jq curl pg_ctlcluster mvn)

missing=()
for i in "${!PACKAGES[@]}"; do command -v "${COMMANDS[$i]}" >/dev/null 2>&1 || missing+=("${PACKAGES[$i]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "error: missing packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2; exit 1
  fi
  echo "installing ${missing[*]}..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "error: no Docker engine answers. Start one with: sudo dockerd --bridge=none --iptables=false --ip6tables=false &" >&2; exit 1
fi
mkdir -p .data
echo "starting dockerd (--bridge=none --iptables=false --ip6tables=false)..." >&2
nohup dockerd --bridge=none --iptables=false --ip6tables=false >.data/dockerd.log 2>&1 &
for _ in $(seq 1 120); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "error: dockerd did not answer within 60 s; see .data/dockerd.log" >&2
exit 1
