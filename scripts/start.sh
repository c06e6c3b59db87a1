#!/usr/bin/env bash
# Prepares the checkout (scripts/setup.sh) and runs the server. Uses the embedded PGlite
# database unless DATABASE_URL is set. With HAIQIAO_TURN_SECRET set, coturn runs alongside
# (scripts/turn-server.sh: TURN over TLS on HAIQIAO_TURN_PORT, 443 by default) and stops with
# the server; HAIQIAO_TURN_START=0 leaves it to run elsewhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
. scripts/node-env.sh
haiqiao_use_node
haiqiao_server_memory_env
if [ -z "${HAIQIAO_TURN_SECRET:-}" ] || [ "${HAIQIAO_TURN_START:-1}" = 0 ]; then
  exec node "${HAIQIAO_SERVER_NODE_FLAGS[@]}" server/main.ts "$@"
fi
bash scripts/turn-server.sh &
turn_pid=$!
sleep 1
kill -0 "$turn_pid" 2> /dev/null || { echo "[start] coturn did not start (see above)" >&2; exit 1; }
node "${HAIQIAO_SERVER_NODE_FLAGS[@]}" server/main.ts "$@" &
server_pid=$!
# bash runs traps only between commands: wait in the background-and-wait form, and pass a stop
# on to the server (which closes gracefully) and to coturn.
trap 'kill -TERM "$server_pid" 2> /dev/null || true' INT TERM
trap 'kill "$turn_pid" 2> /dev/null || true' EXIT
status=0
wait "$server_pid" || status=$?
# A signal interrupts the first wait; wait again for the server to finish closing.
kill -0 "$server_pid" 2> /dev/null && { wait "$server_pid" || status=$?; }
exit "$status"
