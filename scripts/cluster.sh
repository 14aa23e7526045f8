#!/usr/bin/env bash
# `npm run cluster`: a local production-shaped Temporal cluster for Lifeline. The real server
# (go.temporal.io/server, pinned) on a PostgreSQL instance of its own, split in two processes (frontend;
# history + matching + worker), the `default` namespace with Lifeline's search attributes, and the Web UI
# (temporalio/ui-server, the version the temporal CLI embeds). Ctrl-C stops it all; a second run reuses the data.
#
#   cluster.sh            provision, start everything, print TEMPORAL_ADDRESS, wait for Ctrl-C
#   cluster.sh prepare    provision binaries, start PostgreSQL, migrate both schemas, write the server config
#   cluster.sh server R   run one server process in the foreground: R is frontend or backend
#   cluster.sh wait-backend  wait until the history+matching+worker process answers (start the frontend after)
#   cluster.sh setup      create the namespace and the search attributes (the frontend must answer)
#   cluster.sh ui         run the Web UI in the foreground
#   cluster.sh stop-db    stop PostgreSQL
#
# Settings (env): LIFELINE_CLUSTER_DIR (.data/cluster), LIFELINE_CLUSTER_PORT (7400: the frontend's gRPC
# port; the other ports are offsets from it, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=$(realpath -m "${LIFELINE_CLUSTER_DIR:-.data/cluster}")
P=${LIFELINE_CLUSTER_PORT:-7400}
# Membership ports are stored as SMALLINT: they must stay <= 32767.
FRONTEND=$P HISTORY=$((P + 1)) MATCHING=$((P + 2)) WORKER=$((P + 3)) HTTP=$((P + 10))
M_FRONTEND=$((P + 20)) M_HISTORY=$((P + 21)) M_MATCHING=$((P + 22)) M_WORKER=$((P + 23))
METRICS_FRONTEND=$((P + 30)) METRICS_BACKEND=$((P + 31)) PG_PORT=$((P + 40)) UI_PORT=$((P + 50))
[ "$M_WORKER" -le 32767 ] || { echo "error: LIFELINE_CLUSTER_PORT=$P: membership ports must stay <= 32767" >&2; exit 2; }
BIN="$ROOT/.tools/bin"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
ADDRESS="127.0.0.1:$FRONTEND"
NAMESPACE=default

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_db() {
  [ -n "$PG_BIN" ] || { echo "error: PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2; exit 1; }
  mkdir -p "$DIR/run"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR/run"
    # The postgres user must reach its directories (traverse only: nothing here becomes listable or readable).
    chmod o+x "$DIR" "$(dirname "$DIR")"
  fi
  if [ ! -f "$DIR/pg/PG_VERSION" ]; then
    # initdb refuses to run as root: the data directory belongs to the postgres user. An interrupted
    # initdb leaves no PG_VERSION: start again from an empty directory.
    rm -rf "$DIR/pg" && mkdir -p "$DIR/pg"
    local pwfile; pwfile=$(mktemp)
    db_password > "$pwfile"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DIR/pg" "$pwfile"; fi
    as_postgres "$PG_BIN/initdb" -D "$DIR/pg" -A scram-sha-256 -U postgres --pwfile="$pwfile" >/dev/null
    rm -f "$pwfile"
    cat >> "$DIR/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR/run'
max_connections = 200
CONF
  fi
  if ! as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" status >/dev/null 2>&1; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w -o "-p $PG_PORT" start >/dev/null
  fi
}

# The database password: generated once, kept in a file only its owner reads, never printed.
db_password() {
  if [ ! -s "$DIR/db-password" ]; then
    mkdir -p "$DIR" && (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$DIR/db-password")
  fi
  cat "$DIR/db-password"
}

sql_tool() {
  SQL_PLUGIN=postgres12 SQL_HOST=127.0.0.1 SQL_PORT=$PG_PORT SQL_USER=postgres SQL_PASSWORD="$(db_password)" \
    "$BIN/temporal-sql-tool" "$@"
}

migrate() {
  local schema
  schema="$(cat "$BIN/temporal-server.schema")"
  for db in temporal temporal_visibility; do
    local versioned="$schema/temporal/versioned"
    [ "$db" = temporal_visibility ] && versioned="$schema/visibility/versioned"
    if [ ! -f "$DIR/migrated-$db" ]; then
      sql_tool --db "$db" create-database >/dev/null 2>&1 || true
      sql_tool --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
    fi
    # Idempotent: applies only the versions the database does not have yet.
    sql_tool --db "$db" update-schema -d "$versioned" >"$DIR/migrate.log" 2>&1 || { cat "$DIR/migrate.log" >&2; exit 1; }
    touch "$DIR/migrated-$db"
  done
}

write_config() {
  mkdir -p "$DIR/config/dynamicconfig"
  [ -f "$DIR/config/dynamicconfig/dynamic.yaml" ] || cat > "$DIR/config/dynamicconfig/dynamic.yaml" <<'YAML'
# Dynamic config of the local cluster (empty: server defaults).
YAML
  for role in frontend backend; do
    local metrics=$METRICS_FRONTEND
    [ "$role" = backend ] && metrics=$METRICS_BACKEND
    (umask 077 && cat > "$DIR/config/$role.yaml" <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql: &sql
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: postgres
        password: "$(db_password)"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        <<: *sql
        databaseName: temporal_visibility
        maxConns: 4
        maxIdleConns: 4
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:$metrics"
services:
  frontend:
    rpc: { grpcPort: $FRONTEND, membershipPort: $M_FRONTEND, bindOnIP: 127.0.0.1, httpPort: $HTTP }
  history:
    rpc: { grpcPort: $HISTORY, membershipPort: $M_HISTORY, bindOnIP: 127.0.0.1 }
  matching:
    rpc: { grpcPort: $MATCHING, membershipPort: $M_MATCHING, bindOnIP: 127.0.0.1 }
  worker:
    rpc: { grpcPort: $WORKER, membershipPort: $M_WORKER, bindOnIP: 127.0.0.1 }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$FRONTEND"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$DIR/config/dynamicconfig/dynamic.yaml"
  pollInterval: 10s
YAML
    )
  done
}

prepare() {
  bash scripts/provision-cluster.sh
  start_db
  migrate
  write_config
}

server() {
  local role=$1
  case "$role" in
    frontend) exec "$BIN/temporal-server" --root "$DIR" --config config --env frontend --allow-no-auth start --service frontend ;;
    backend) exec "$BIN/temporal-server" --root "$DIR" --config config --env backend --allow-no-auth start \
      --service history --service matching --service worker ;;
    *) echo "error: server role must be frontend or backend, not $role" >&2; exit 2 ;;
  esac
}

# A fresh namespace reaches the frontend's cache within seconds: operator calls are retried until then.
retry() { for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; "$@" >/dev/null; }

setup() {
  local t="$BIN/temporal" a=(--address "$ADDRESS" --namespace "$NAMESPACE")
  retry "$t" operator cluster health --address "$ADDRESS"
  "$t" operator namespace describe "${a[@]}" >/dev/null 2>&1 || retry "$t" operator namespace create "${a[@]}" --retention 72h
  # One attribute per call: the CLI pairs each --name with a --type by position.
  local existing
  existing=$(retry_output "$t" operator search-attribute list "${a[@]}")
  while IFS='=' read -r name type; do
    grep -qw "$name" <<<"$existing" && continue
    retry "$t" operator search-attribute create "${a[@]}" --name "$name" --type "$type"
  done < <(node -e "require('./dist/domain/search-attributes').SEARCH_ATTRIBUTE_DECLARATIONS.forEach(d => console.log(d))")
  retry "$t" workflow list "${a[@]}" --limit 1
}

retry_output() { for _ in $(seq 1 60); do "$@" 2>/dev/null && return 0; sleep 0.5; done; "$@"; }

ui() {
  mkdir -p "$DIR/ui"
  cat > "$DIR/ui/ui.yaml" <<YAML
temporalGrpcAddress: "$ADDRESS"
host: 127.0.0.1
port: $UI_PORT
enableUi: true
defaultNamespace: $NAMESPACE
# Lifeline's payloads are encrypted: the UI decodes them through the API's codec endpoint (log in at /codec/login).
codec:
  endpoint: "${LIFELINE_UI_CODEC_ENDPOINT:-http://127.0.0.1:${LIFELINE_API_PORT:-8787}/codec}"
YAML
  exec "$BIN/temporal-ui-server" --root "$DIR/ui" --config . --env ui start
}

# On a fresh database both processes would write the cluster's metadata record at once and one would lose
# (exiting): the frontend starts once the backend's history service answers, which is after that write.
wait_backend() {
  for _ in $(seq 1 240); do (: </dev/tcp/127.0.0.1/$HISTORY) 2>/dev/null && return 0; sleep 0.25; done
  echo "error: the history service did not answer on 127.0.0.1:$HISTORY within 60 s (see $DIR/logs/backend.log)" >&2
  exit 1
}

stop_db() { as_postgres "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true; }

up() {
  bash scripts/ensure-deps.sh
  prepare
  local pids=()
  stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    stop_db
  }
  trap stop_all EXIT INT TERM
  mkdir -p "$DIR/logs"
  "$0" server backend >> "$DIR/logs/backend.log" 2>&1 &
  pids+=($!)
  wait_backend
  "$0" server frontend >> "$DIR/logs/frontend.log" 2>&1 &
  pids+=($!)
  setup
  "$0" ui >> "$DIR/logs/ui.log" 2>&1 &
  pids+=($!)
  cat <<MSG
Temporal cluster is running (PostgreSQL on 127.0.0.1:$PG_PORT, data in $DIR).
  frontend:            $ADDRESS          (history+matching+worker in a second process)
  Web UI:              http://127.0.0.1:$UI_PORT
  Run Lifeline on it:  TEMPORAL_ADDRESS=$ADDRESS npm start
  Logs:                $DIR/logs/
Ctrl-C stops it all; the next run reuses the data.
MSG
  wait -n "${pids[@]}"
}

case "${1:-up}" in
  up) up ;;
  prepare) prepare ;;
  server) server "${2:-}" ;;
  setup) setup ;;
  wait-backend) wait_backend ;;
  ui) ui ;;
  stop-db) stop_db ;;
  *) echo "usage: cluster.sh [up|prepare|server frontend|server backend|wait-backend|setup|ui|stop-db]" >&2; exit 2 ;;
esac
