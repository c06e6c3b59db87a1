#!/usr/bin/env bash
# Runs N Haiqiao nodes on this machine behind haproxy: bash scripts/cluster.sh 2
#
# One PostgreSQL database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/haiqiao,
# created if missing), one Redis (HAIQIAO_REDIS_URL, default redis://127.0.0.1:6379), one data
# dir (files, keys). Node i listens on HAIQIAO_CLUSTER_NODE_PORT+i-1 (3101, 3102, …) with
# its own WebRTC ports; haproxy serves everyone on PORT (3000). Rooms are placed per node; a
# socket that reaches the wrong node is told which node holds its room and comes back with
# ?node=<id>, which haproxy routes (docs/architecture.md, "Several nodes").
# Stop with Ctrl-C (nodes hand their rooms back). HAIQIAO_CLUSTER_SKIP_SETUP=1 skips setup.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
count=${1:-2}
[[ "$count" =~ ^[1-9][0-9]?$ ]] || { echo "usage: bash scripts/cluster.sh [number of nodes, 1-99]" >&2; exit 2; }
[ "${HAIQIAO_CLUSTER_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
. scripts/node-env.sh
haiqiao_use_node
haiqiao_server_memory_env

public_port=${PORT:-3000}
first_node_port=${HAIQIAO_CLUSTER_NODE_PORT:-3101}
first_rtc_port=${HAIQIAO_RTC_PORT:-40000}
workers=${HAIQIAO_MEDIA_WORKERS:-1}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/haiqiao}
export HAIQIAO_REDIS_URL=${HAIQIAO_REDIS_URL:-redis://127.0.0.1:6379}
export HAIQIAO_DATA_DIR=${HAIQIAO_DATA_DIR:-$PWD/data}
export PUBLIC_URL=${PUBLIC_URL:-http://localhost:$public_port}
export HAIQIAO_TRUSTED_PROXIES=${HAIQIAO_TRUSTED_PROXIES:-127.0.0.1}
state_dir=${HAIQIAO_CLUSTER_DIR:-$HAIQIAO_DATA_DIR/cluster}
mkdir -p "$state_dir" "$HAIQIAO_DATA_DIR"
say() { echo "[cluster] $*"; }

database=${DATABASE_URL##*/}
database=${database%%\?*}
if ! psql "$DATABASE_URL" -Atqc 'select 1' > /dev/null 2>&1; then
  say "creating database $database"
  psql "${DATABASE_URL%/*}/postgres" -qc "create database \"$database\"" > /dev/null
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

wait_healthy() {
  local url=$1 pid=$2
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$url/api/health" 2> /dev/null && return 0
    kill -0 "$pid" 2> /dev/null || { echo "[cluster] process $pid exited (see its log)" >&2; return 1; }
    sleep 0.25
  done
  echo "[cluster] $url did not become healthy" >&2
  return 1
}

haproxy_cfg="$state_dir/haproxy.cfg"
{
  cat << CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  # A node that refuses connections (dead) is skipped at once, whatever routed to it.
  retries 2
  option redispatch 1
  option forwardfor
frontend public
  bind 127.0.0.1:$public_port
  default_backend nodes
backend nodes
  balance leastconn
  # Sticky per browser (long-polling needs every request of a connection on one node) …
  cookie hq_route insert indirect nocache httponly
  # … and the node a room lives on, when the server said so (?node=<id>); ignored while down.
  option httpchk GET /api/health
  http-check expect status 200
  default-server check inter 500 fall 2 rise 2
CFG
  for i in $(seq 1 "$count"); do echo "  use-server node$i if { url_param(node) -m str node$i }"; done
  for i in $(seq 1 "$count"); do echo "  server node$i 127.0.0.1:$((first_node_port + i - 1)) cookie node$i"; done
} > "$haproxy_cfg"

# Nodes start one after the other: the first creates keys and the demo accounts.
for i in $(seq 1 "$count"); do
  port=$((first_node_port + i - 1))
  seed=false
  [ "$i" = 1 ] && seed=${HAIQIAO_SEED_DEMO:-true}
  # Plain node (Node 24 strips the types): one process per node, so its pid is the node.
  HOST=127.0.0.1 PORT=$port HAIQIAO_NODE_ID=node$i HAIQIAO_NODE_URL=http://127.0.0.1:$port \
    HAIQIAO_RTC_PORT=$((first_rtc_port + (i - 1) * workers)) HAIQIAO_MEDIA_WORKERS=$workers HAIQIAO_SEED_DEMO=$seed \
    node "${HAIQIAO_SERVER_NODE_FLAGS[@]}" server/main.ts > "$state_dir/node$i.log" 2>&1 &
  pids+=($!)
  echo "$!" > "$state_dir/node$i.pid"
  wait_healthy "http://127.0.0.1:$port" "$!"
  say "node$i pid $! on http://127.0.0.1:$port, WebRTC from port $((first_rtc_port + (i - 1) * workers)) (log $state_dir/node$i.log)"
done

haproxy -W -db -f "$haproxy_cfg" > "$state_dir/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=("$haproxy_pid")
echo "$haproxy_pid" > "$state_dir/haproxy.pid"
wait_healthy "http://127.0.0.1:$public_port" "$haproxy_pid"
grep -h '\[haiqiao\]   ' "$state_dir/node1.log" || true
say "$count node(s) behind haproxy: open $PUBLIC_URL  (haproxy pid $haproxy_pid, config $haproxy_cfg)"
say "ready"
# A node that dies is the others' to replace (its rooms move); the cluster runs while haproxy does.
wait "$haproxy_pid" || true
say "haproxy ended; stopping the nodes"
