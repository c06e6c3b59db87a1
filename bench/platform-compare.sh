#!/usr/bin/env bash
# Before/after comparison of two checkouts (e.g. Node 20 + mediasoup 3.19.3 against Node 24 +
# mediasoup 3.32.2): runs bench/sfu-forwarding.ts and bench/join-latency.ts in each checkout in
# turn, alternating the order, each checkout with its own node and its own built worker, then
# prints the figures side by side (bench/platform-compare-report.ts).
#
#   bash bench/platform-compare.sh BEFORE_DIR AFTER_DIR [PAIRS]
#
# Each checkout must have been set up (its scripts/setup.sh). BEFORE_DIR uses the machine's
# `node` unless BEFORE_NODE names another binary directory; AFTER_DIR uses scripts/node-env.sh.
# On a shared machine the runs take real-time round-robin priority (chrt -r) when allowed, so
# other processes cannot take the cores mid-window; the kernel still keeps 5 % for them.
set -euo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
pairs=${3:-2}
out=${OUT_DIR:-$after/test-results/platform-compare}
mkdir -p "$out"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

prio=()
if chrt -r 10 true 2> /dev/null; then prio=(chrt -r 10); fi

run_in() { # label dir pair
  local label=$1 dir=$2 pair=$3 path_prefix=""
  if [ "$label" = before ]; then
    path_prefix=${BEFORE_NODE:-}
  else
    # shellcheck source=/dev/null
    path_prefix=$(cd "$dir" && . scripts/node-env.sh > /dev/null && haiqiao_use_node > /dev/null && dirname "$(command -v node)")
  fi
  echo "[compare] $label pair $pair: $(PATH=${path_prefix:+$path_prefix:}$PATH node --version) in $dir (load $(cut -d' ' -f1-3 /proc/loadavg))"
  (cd "$dir" && PATH=${path_prefix:+$path_prefix:}$PATH "${prio[@]}" node_modules/.bin/tsx bench/sfu-forwarding.ts \
    --steps 8x300,8x600 --rounds 2 --json "$out/sfu-$label-$pair.json" > "$out/sfu-$label-$pair.log" 2>&1)
  (cd "$dir" && PATH=${path_prefix:+$path_prefix:}$PATH "${prio[@]}" node_modules/.bin/tsx bench/join-latency.ts \
    --joins 10 --json "$out/join-$label-$pair.json" > "$out/join-$label-$pair.log" 2>&1)
}

for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) -eq 1 ]; then
    run_in before "$before" "$pair"; run_in after "$after" "$pair"
  else
    run_in after "$after" "$pair"; run_in before "$before" "$pair"
  fi
done
"$here/node_modules/.bin/tsx" "$here/bench/platform-compare-report.ts" "$out" "$pairs"
