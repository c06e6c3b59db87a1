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
if [ -z "${HAIQIAO_TURN_SECRET:-}" ] || [ "${HAIQIAO_TURN_START:-1}" = 0 ]; then
  exec npx --no -- tsx server/main.ts "$@"
fi
bash scripts/turn-server.sh &
turn_pid=$!
trap 'kill "$turn_pid" 2> /dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sleep 1
kill -0 "$turn_pid" 2> /dev/null || { echo "[start] coturn did not start (see above)" >&2; exit 1; }
npx --no -- tsx server/main.ts "$@"
