#!/usr/bin/env bash
# Code health: Biome's linter (warnings count as errors) and knip (unused files, exports, types and
# dependencies). The formatter is NOT run: a whole-tree reformat would conflict with every open
# branch, so biome.jsonc keeps its settings for editors only. Exits non-zero if either finds
# anything. Used by scripts/test.sh and `npm run lint`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
echo "[code-health] biome lint"
npm run --silent lint:biome || status=1
echo "[code-health] knip"
npm run --silent lint:knip || status=1
if [ "$status" -eq 0 ]; then echo "[code-health] ok"; else echo "[code-health] FAILED (see above)"; fi
exit "$status"
