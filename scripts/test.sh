#!/usr/bin/env bash
# Full check: setup, PostgreSQL, typecheck, code health (Biome lint, knip), vitest. The last line
# printed is always "N passed, N failed" (a typecheck failure and a code-health failure each count
# as one failed test); exits non-zero if anything failed. The vitest JSON report is kept in test-results/vitest.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[test] %4ds %s\n' "$SECONDS" "$*"; }

bash scripts/setup.sh
# shellcheck source=node-env.sh
. scripts/node-env.sh
haiqiao_use_node
log "node $(node --version)"

# PostgreSQL for tests that use a real server (the app itself defaults to embedded PGlite).
if command -v pg_isready > /dev/null; then
  if pg_isready -q -h 127.0.0.1; then
    log "postgres: accepting connections on 127.0.0.1:5432"
  else
    pg_version=$(ls /etc/postgresql 2>/dev/null | head -1)
    if [ -n "$pg_version" ]; then
      log "postgres: starting cluster $pg_version/main"
      pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || log "postgres: start failed"
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
    fi
    pg_isready -q -h 127.0.0.1 && log "postgres: ready" || log "postgres: NOT available (tests needing it will fail)"
  fi
else
  log "postgres: pg_isready not installed (tests needing PostgreSQL will fail)"
fi

# Redis for the tests of counters shared by several nodes (the machine normally runs one on 6379).
if command -v redis-cli > /dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping > /dev/null 2>&1; then
  if command -v redis-server > /dev/null; then
    log "redis: starting one on 127.0.0.1:6379"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no > /dev/null || log "redis: start failed"
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping > /dev/null 2>&1 && break; sleep 0.5; done
  fi
fi
redis-cli -h 127.0.0.1 -p 6379 ping > /dev/null 2>&1 && log "redis: ready" || log "redis: NOT available (tests needing it will fail)"

mkdir -p test-results
report=test-results/vitest.json
rm -f "$report" test-results/summary.txt

typecheck_failed=0
log "typecheck: tsc --noEmit -p tsconfig.json, svelte-check"
if npx --no -- tsc --noEmit -p tsconfig.json && npx --no -- svelte-check --tsconfig ./tsconfig.json --threshold error --output machine; then
  log "typecheck: ok"
else
  typecheck_failed=1
  log "typecheck: FAILED"
fi

code_health_failed=0
log "code health: biome lint, knip (scripts/code-health.sh)"
if bash scripts/code-health.sh; then
  log "code health: ok"
else
  code_health_failed=1
  log "code health: FAILED"
fi

log "vitest"
vitest_rc=0
npx --no -- vitest run --reporter=default --reporter=json --outputFile="$report" || vitest_rc=$?

# Failed tests from the JSON report, plus one per test file that failed without a failing
# test (import error, failing hook), plus one if vitest failed with nothing to show for it
# (no report, unhandled error).
read -r passed failed < <(node -e '
  const fs = require("node:fs");
  const [file, staticChecksFailed, vitestRc] = process.argv.slice(1).map((v, i) => (i ? Number(v) : v));
  let passed = 0, failed = staticChecksFailed;
  let counted = 0;
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    passed = r.numPassedTests ?? 0;
    counted = r.numFailedTests ?? 0;
    for (const t of r.testResults ?? []) {
      const failedHere = (t.assertionResults ?? []).filter((a) => a.status === "failed").length;
      if (t.status === "failed" && failedHere === 0) counted += 1;
    }
  } catch {}
  if (vitestRc !== 0 && counted === 0) counted = 1;
  console.log(passed, failed + counted);
' "$report" "$((typecheck_failed + code_health_failed))" "$vitest_rc")

echo "$passed passed, $failed failed" | tee test-results/summary.txt
[ "$failed" -eq 0 ]
