#!/usr/bin/env bash
# Prepares this checkout to run and test Haiqiao on Debian 12 (bookworm):
#   1. Debian packages (toolchain and libraries for the mediasoup worker, Chromium, poppler,
#      CJK fonts, coturn for TURN over TLS, nftables and iproute2 for the network-namespace
#      tests and bench; meson from bookworm-backports)
#   1b. Node.js >= 22: the machine's if recent enough, else Node 24 LTS from the npm registry,
#      cached in ~/.cache/haiqiao/node (scripts/node-env.sh; start.sh and test.sh use it too)
#   2. npm dependencies (npm ci, only when node_modules is missing or stale)
#   3. the mediasoup worker binary, cached per mediasoup version outside the checkout
#      (${HAIQIAO_CACHE_DIR:-$HOME/.cache/haiqiao}/mediasoup-worker/<version>/) and installed
#      at mediasoup's default path, so the server needs no MEDIASOUP_WORKER_BIN
#   4. the client bundle (vite build), once vite.config.ts exists
# Idempotent: every step checks first and is skipped when already done.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
# shellcheck source=node-env.sh
. scripts/node-env.sh

log() { printf '[setup] %4ds %s\n' "$SECONDS" "$*"; }
die() { printf '[setup] %4ds ERROR: %s\n' "$SECONDS" "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------
apt_packages=(build-essential pkg-config ninja-build python3 libuv1-dev libsrtp2-dev
  libflatbuffers-dev flatbuffers-compiler libssl-dev chromium
  poppler-utils util-linux fonts-noto-cjk fonts-arphic-gbsn00lp fonts-droid-fallback ffmpeg openssl
  coturn nftables iproute2 redis-server haproxy postgresql-client)
meson_min=1.1.0
backports_file=/etc/apt/sources.list.d/bookworm-backports.sources

meson_ok() {
  local v
  v=$(meson --version 2>/dev/null) || return 1
  dpkg --compare-versions "$v" ge "$meson_min"
}

# An active (uncommented) bookworm-backports entry in an enabled apt source file.
has_backports() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -Eqs '^[^#]*bookworm-backports' "$f" && return 0
  done
  return 1
}

setup_apt() {
  local missing=() installed p
  # One dpkg-query for all packages (unknown ones are reported on stderr and left out).
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${apt_packages[@]}" 2>/dev/null \
    | awk '$NF == "installed" && $(NF-1) == "ok" {print $1}' || true)
  for p in "${apt_packages[@]}"; do grep -qx "$p" <<< "$installed" || missing+=("$p"); done
  local need_meson=0
  meson_ok || need_meson=1

  if ! has_backports; then
    log "apt: adding bookworm-backports source ($backports_file)"
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
      'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
      | as_root tee "$backports_file" > /dev/null
  fi

  if [ ${#missing[@]} -eq 0 ] && [ $need_meson -eq 0 ]; then
    log "apt: all packages present, meson $(meson --version) (skipped)"
    return
  fi

  export DEBIAN_FRONTEND=noninteractive
  local wanted=("${missing[@]}")
  [ $need_meson -eq 1 ] && wanted+=("meson>=$meson_min")
  log "apt: missing ${wanted[*]}; updating package lists"
  as_root apt-get update -q
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt: installing ${missing[*]}"
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if [ $need_meson -eq 1 ]; then
    log "apt: installing meson from bookworm-backports"
    as_root apt-get install -y -q --no-install-recommends -t bookworm-backports meson
    meson_ok || die "meson $(meson --version 2>/dev/null || echo missing) is older than $meson_min"
  fi
  log "apt: done"
}

# Debian enables coturn's own service (default configuration, port 3478) where systemd runs;
# Haiqiao runs coturn itself, configured, through scripts/turn-server.sh.
disable_default_coturn() {
  if [ -d /run/systemd/system ] && systemctl is-enabled --quiet coturn 2> /dev/null; then
    log "apt: disabling Debian's default coturn service (scripts/turn-server.sh runs coturn)"
    as_root systemctl disable --now coturn
  fi
}

# ---------------------------------------------------------------------------------------
# 2. npm dependencies
# ---------------------------------------------------------------------------------------
setup_node() {
  if haiqiao_use_node; then
    log "node: $(node --version) at $(command -v node) (skipped)"
    return
  fi
  log "node: $(node --version 2>/dev/null || echo none) is older than $HAIQIAO_NODE_MIN_MAJOR or cannot strip TypeScript types (22.18+); installing Node $HAIQIAO_NODE_VERSION from the npm registry into $(haiqiao_node_dir)"
  haiqiao_install_node || die "could not install Node $HAIQIAO_NODE_VERSION"
  haiqiao_use_node || die "Node $HAIQIAO_NODE_VERSION was installed but does not run"
  log "node: $(node --version) at $(command -v node)"
}

setup_npm() {
  # node_modules records the Node major it was installed with: native addons and the lockfile's
  # engine checks follow it, so a Node upgrade reinstalls.
  local stamp=node_modules/.haiqiao-node-major major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ -d node_modules ] && [ "$(cat "$stamp" 2>/dev/null)" != "$major" ]; then
    log "npm: node_modules was installed with Node $(cat "$stamp" 2>/dev/null || echo '<unknown>'); reinstalling for Node $major"
    rm -rf node_modules
  fi
  if [ -d node_modules ] && [ -f node_modules/.package-lock.json ] \
    && ! [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # Patches to dependencies (scripts/patches/, applied by patch-package at install) changed since.
    if [ -n "$(find scripts/patches -newer node_modules/.package-lock.json -print -quit 2>/dev/null)" ]; then
      log "npm: applying scripts/patches/ (patch-package)"
      npx patch-package --patch-dir scripts/patches
      touch node_modules/.package-lock.json
      return
    fi
    log "npm: node_modules is up to date (skipped)"
    return
  fi
  log "npm: npm ci"
  # A placeholder MEDIASOUP_WORKER_BIN makes mediasoup's postinstall skip its worker
  # download/build (which fails offline); step 3 provides the worker.
  MEDIASOUP_WORKER_BIN=placeholder-provided-by-setup npm ci --no-audit --no-fund
  printf '%s\n' "$major" > "$stamp"
  log "npm: done"
}

# ---------------------------------------------------------------------------------------
# 3. mediasoup worker
# ---------------------------------------------------------------------------------------
# mediasoup's own host check: without MEDIASOUP_VERSION in its environment the worker
# exits with status 41 ("you don't seem to be my real father!").
runs_here() {
  local rc=0
  [ -f "$1" ] && [ -x "$1" ] || return 1
  timeout 10 env -i "$1" > /dev/null 2>&1 || rc=$?
  [ "$rc" -eq 41 ]
}

install_file() { # src dest: atomic copy
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp.$$"
  chmod 0755 "$2.tmp.$$"
  mv -f "$2.tmp.$$" "$2"
}

setup_worker() {
  local ms_dir=node_modules/mediasoup
  [ -f "$ms_dir/package.json" ] || die "$ms_dir is missing (npm ci failed?)"
  local version cache_root cache bin
  version=$(node -p "require('./$ms_dir/package.json').version")
  cache_root=${HAIQIAO_CACHE_DIR:-${HOME:?HOME is not set}/.cache/haiqiao}
  cache=$cache_root/mediasoup-worker/$version
  bin=$cache/mediasoup-worker
  local default_bin=$ms_dir/worker/out/Release/mediasoup-worker

  mkdir -p "$cache"
  # Serialise concurrent setups (e.g. start.sh and test.sh) on the same cache.
  exec 9> "$cache/.lock"
  flock 9

  if [ -e "$bin" ]; then
    local cached_version
    cached_version=$(cat "$bin.version" 2>/dev/null || true)
    if [ "$cached_version" != "$version" ]; then
      die "cached worker $bin is labelled '${cached_version:-<no $bin.version>}' but mediasoup $version is installed; refusing to use it. Remove $cache and re-run to rebuild."
    fi
  fi

  if runs_here "$bin"; then
    log "worker: cached mediasoup-worker $version at $bin (skipped build)"
  else
    [ -e "$bin" ] && log "worker: cached $bin does not run on this host; replacing it"
    # mediasoup's normal route: downloads a prebuilt worker where GitHub is reachable
    # (then falls back to its own source build, which needs PyPI and GitHub). Where github.com
    # does not even resolve it can only fail, after about 35 s of pip retries: skip it there.
    local rc=0
    # Start clean, so that only a worker this postinstall produced can count as its result.
    rm -rf "$ms_dir/worker/out" "$ms_dir/worker/pip_invoke" "$ms_dir/worker/prebuild"
    if ! timeout 5 getent hosts github.com > /dev/null 2>&1; then
      rc=skipped
      log "worker: github.com does not resolve; no prebuilt worker to download"
    else
      log "worker: trying mediasoup's postinstall (prebuilt download; up to 5 min, failure is expected offline)"
      (cd "$ms_dir" && env -u MEDIASOUP_WORKER_BIN timeout 300 node npm-scripts.mjs postinstall) \
        > "$cache/postinstall.log" 2>&1 || rc=$?
    fi
    if [ "$rc" = 0 ] && runs_here "$default_bin"; then
      log "worker: mediasoup's postinstall produced a working worker; caching it"
      printf '%s\n' "$version" > "$bin.version"
      install_file "$default_bin" "$bin"
    else
      [ "$rc" = skipped ] || log "worker: mediasoup's postinstall gave no working worker (exit $rc, log $cache/postinstall.log)"
      log "worker: building mediasoup-worker $version from source (about 4-8 min on 2 cores)"
      bash scripts/mediasoup-worker/build.sh "$ms_dir" "$bin"
    fi
    # Leftovers of the postinstall attempt (pip installs, partial downloads).
    rm -rf "$ms_dir/worker/out" "$ms_dir/worker/pip_invoke" "$ms_dir/worker/prebuild"
    runs_here "$bin" || die "worker $bin does not run on this host (expected exit status 41)"
    [ "$(cat "$bin.version")" = "$version" ] || die "worker $bin has a wrong version file"
  fi

  if cmp -s "$bin" "$default_bin" && [ "$(cat "$default_bin.version" 2>/dev/null)" = "$version" ]; then
    log "worker: $default_bin is current (skipped)"
  else
    install_file "$bin" "$default_bin"
    printf '%s\n' "$version" > "$default_bin.version"
    log "worker: installed $default_bin"
  fi
  flock -u 9
  exec 9>&-
}

# ---------------------------------------------------------------------------------------
# 4. client bundle
# ---------------------------------------------------------------------------------------
setup_client() {
  if [ ! -f vite.config.ts ]; then
    log "client: no vite.config.ts yet (skipped)"
    return
  fi
  local stamp=dist/.client-build-stamp
  if [ -f dist/client/index.html ] && [ -f "$stamp" ] && [ -z "$(find client shared vite.config.ts \
      package-lock.json tsconfig.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    log "client: dist/client is newer than client/ and shared/ (skipped)"
    return
  fi
  log "client: vite build"
  mkdir -p dist
  touch "$stamp.new"
  npx --no -- vite build
  mv -f "$stamp.new" "$stamp"
  log "client: done"
}

log "repo $repo"
setup_apt
setup_node
disable_default_coturn
setup_npm
setup_worker
setup_client
log "ready"
