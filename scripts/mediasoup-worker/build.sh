#!/usr/bin/env bash
# Builds mediasoup's worker from the installed npm package's own sources against Debian's
# libraries (no downloads), for machines that reach only the npm registry and Debian's archive.
#
#   scripts/mediasoup-worker/build.sh <mediasoup package dir> <output binary>
#
# The package's worker/ tree is copied, its meson wraps are replaced by thin subprojects
# over the system libraries, libsrtp 2 is adapted to the libsrtp 3 API by srtp-shim.h,
# ankerl::unordered_dense is mapped onto the standard containers (unordered-dense/), and in
# sources older than 3.32.2 one DTLS bug (fatal with a kernel-TLS-enabled OpenSSL such as
# Debian's) is fixed.
set -euo pipefail

pkg_dir=$(cd "$1" && pwd)
out_bin=$2
here=$(cd "$(dirname "$0")" && pwd)
version=$(node -p "require('$pkg_dir/package.json').version")
work=$(mktemp -d "${TMPDIR:-/tmp}/mediasoup-worker-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

log() { printf '[mediasoup-worker] %s\n' "$*"; }

log "building mediasoup-worker $version from $pkg_dir/worker (several minutes on 2 cores)"
cp -r "$pkg_dir/worker" "$work/worker"
cd "$work/worker"

# 1. The DTLS memory-BIO callback must test the BIO_CB_RETURN bit, not compare with it:
#    otherwise it answers "yes" to OpenSSL's kernel-TLS query and the first browser's
#    handshake writes into a NULL buffer (worker SIGSEGV). mediasoup fixed it upstream in 3.32.2
#    (PR #2025); older sources are patched here.
dtls=src/RTC/DtlsTransport.cpp
if grep -q '(operationType == BIO_CB_RETURN)' "$dtls"; then
  sed -i 's/(operationType == BIO_CB_RETURN)/(operationType \& BIO_CB_RETURN)/' "$dtls"
  log "applied DTLS BIO callback fix"
elif grep -q '(operationType & BIO_CB_RETURN)' "$dtls"; then
  log "DTLS BIO callback already tests the BIO_CB_RETURN bit (fixed upstream); no patch needed"
else
  log "warning: DTLS BIO callback not found in the expected form; building unpatched"
fi

# 2. Replace every download wrap with a subproject over the Debian library.
mkdir -p subprojects/.wraps-unused
mv subprojects/*.wrap subprojects/.wraps-unused/ 2>/dev/null || true

stub() { # name, meson body, [meson_options body]
  mkdir -p "subprojects/$1"
  printf '// empty: the real code comes from the system library\n' > "subprojects/$1/stub.c"
  printf "project('%s', 'c')\n%s\n" "$1" "$2" > "subprojects/$1/meson.build"
  if [ -n "${3:-}" ]; then printf '%s\n' "$3" > "subprojects/$1/meson_options.txt"; fi
}

stub openssl "
openssl_dep = dependency('openssl')
libcrypto_lib = static_library('crypto_stub', 'stub.c')
libssl_lib = static_library('ssl_stub', 'stub.c')"

stub libuv "
libuv_dep = dependency('libuv')
libuv = static_library('uv_stub', 'stub.c')" "
option('build_tests', type: 'boolean', value: false)
option('build_benchmarks', type: 'boolean', value: false)"

mkdir -p subprojects/libsrtp3/shim
cp "$here/srtp-shim.h" subprojects/libsrtp3/shim/srtp.h
stub libsrtp3 "
libsrtp3_dep = declare_dependency(
  include_directories: include_directories('shim'),
  dependencies: dependency('libsrtp2'))
libsrtp3 = static_library('srtp_stub', 'stub.c')" "
option('crypto-library', type: 'string', value: 'openssl')
option('crypto-library-kdf', type: 'string', value: 'disabled')
option('tests', type: 'string', value: 'disabled')
option('doc', type: 'string', value: 'disabled')
option('log-stdout', type: 'string', value: 'false')"

# unordered_dense is header-only and not in Debian 12: a header over the standard containers,
# found through a pkg-config file (meson asks for dependency('unordered_dense')).
mkdir -p "$work/pkgconfig"
printf '%s\n' 'Name: unordered_dense' 'Description: std-container stand-in for ankerl::unordered_dense' \
  'Version: 5.3.2' "Cflags: -I$here/unordered-dense" > "$work/pkgconfig/unordered_dense.pc"
export PKG_CONFIG_PATH="$work/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

stub flatbuffers "
flatbuffers_dep = dependency('flatbuffers')
flatbuffers_lib = static_library('flatbuffers_stub', 'stub.c')"

stub catch2 "
catch2_dep = declare_dependency()"

# 3. Configure and build. The flatbuffers headers must exist before libwebrtc compiles.
meson setup build --wrap-mode=nodownload --buildtype=release -Db_ndebug=true \
  > "$work/meson-setup.log" 2>&1 || { cat "$work/meson-setup.log"; exit 1; }
log "configured; generating flatbuffers headers"
meson compile -C build flatbuffers-generator > "$work/flatc.log" 2>&1 || { cat "$work/flatc.log"; exit 1; }
log "compiling (progress every 100 steps)"
ninja -C build mediasoup-worker 2>&1 | awk '/FAILED|error:/ {print; fflush(); next} /^\[[0-9]+\/[0-9]+\]/ {split($1, a, /[\[\/\]]/); if (a[2] % 100 == 0 || a[2] == a[3]) print "[mediasoup-worker] " $1; fflush()}'
test "${PIPESTATUS[0]}" -eq 0

mkdir -p "$(dirname "$out_bin")"
install -m 0755 build/mediasoup-worker "$out_bin.tmp"
strip "$out_bin.tmp"
printf '%s\n' "$version" > "$out_bin.version"
mv "$out_bin.tmp" "$out_bin"
log "built $out_bin ($(du -h "$out_bin" | cut -f1))"
