#!/usr/bin/env bash
# Prepares the checkout (scripts/setup.sh) and runs the server. Uses the embedded PGlite
# database unless DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
. scripts/node-env.sh
haiqiao_use_node
exec npx --no -- tsx server/main.ts "$@"
