#!/usr/bin/env bash
# Runs coturn (Debian's `turnserver`, installed by scripts/setup.sh) in the foreground as the
# TURN relay for browsers whose UDP is blocked: TURN over TLS only (a network that lets HTTPS
# out lets this out), on HAIQIAO_TURN_PORT (443 by default; binding it needs root or
# CAP_NET_BIND_SERVICE), with time-limited credentials from HAIQIAO_TURN_SECRET (the TURN REST
# API scheme: the service hands them to admitted participants, see
# server/security/turn-credentials.ts). Used by scripts/start.sh when HAIQIAO_TURN_SECRET is
# set, and by the browser tests (tests/helpers/turn-server.ts) on a free high port.
#
# Environment:
#   HAIQIAO_TURN_SECRET       required; the same value the service gets
#   HAIQIAO_TURN_PORT         TLS port (default 443)
#   HAIQIAO_TURN_LISTEN_IP    address to listen on (default 0.0.0.0)
#   HAIQIAO_TURN_RELAY_IP     address relayed media leaves from towards mediasoup (default: coturn picks)
#   HAIQIAO_TURN_REALM        realm (default haiqiao)
#   HAIQIAO_TURN_TLS_CERT, HAIQIAO_TURN_TLS_KEY
#                             PEM certificate (chain) and key for the TURN host name; unset: a
#                             self-signed pair is made once in $HAIQIAO_DATA_DIR/turn/
#   HAIQIAO_TURN_PEER_IPS     comma-separated addresses relayed media may go to: mediasoup's
#                             (default: HAIQIAO_RTC_ANNOUNCED_ADDRESS when it is an IP). Every
#                             private, link-local and special range is refused otherwise, so a
#                             participant's credential cannot reach into the server's networks
#   HAIQIAO_TURN_ALLOW_LOOPBACK_PEERS
#                             1: allow relaying to 127.x (mediasoup on loopback, one-machine setups)
#   HAIQIAO_DATA_DIR          default ./data
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf '[turn] ERROR: %s\n' "$*" >&2; exit 1; }

command -v turnserver > /dev/null || die "turnserver is not installed (run scripts/setup.sh: Debian package coturn)"
secret=${HAIQIAO_TURN_SECRET:-}
[ ${#secret} -ge 16 ] || die "HAIQIAO_TURN_SECRET must be set, at least 16 characters"
port=${HAIQIAO_TURN_PORT:-443}
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "HAIQIAO_TURN_PORT must be a port number, got '$port'"
listen_ip=${HAIQIAO_TURN_LISTEN_IP:-0.0.0.0}
realm=${HAIQIAO_TURN_REALM:-haiqiao}
data_dir=${HAIQIAO_DATA_DIR:-$(pwd)/data}

cert=${HAIQIAO_TURN_TLS_CERT:-}
key=${HAIQIAO_TURN_TLS_KEY:-}
if [ -z "$cert" ] || [ -z "$key" ]; then
  [ -z "$cert$key" ] || die "set both HAIQIAO_TURN_TLS_CERT and HAIQIAO_TURN_TLS_KEY, or neither"
  dir=$data_dir/turn
  cert=$dir/turn-cert.pem
  key=$dir/turn-key.pem
  if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
    mkdir -p "$dir"
    printf '[turn] making a self-signed TLS certificate in %s (set HAIQIAO_TURN_TLS_CERT/KEY in production)\n' "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$realm" \
      -keyout "$key.tmp" -out "$cert.tmp" 2> /dev/null
    chmod 600 "$key.tmp"
    mv -f "$key.tmp" "$key"
    mv -f "$cert.tmp" "$cert"
  fi
fi
[ -r "$cert" ] && [ -r "$key" ] || die "cannot read the TLS certificate $cert or key $key"

# The secret goes in a file only root can read, not on the command line (visible in ps).
conf_dir=$data_dir/turn
mkdir -p "$conf_dir"
conf=$conf_dir/turnserver-$port.conf
(umask 077 && printf 'static-auth-secret=%s\n' "$secret" > "$conf.tmp")
mv -f "$conf.tmp" "$conf"

args=(
  -c "$conf"
  --db "$conf_dir/turndb-$port"       # its own (unused) user database, not /var/lib/turn
  --pidfile "$conf_dir/turnserver-$port.pid"
  --listening-ip "$listen_ip"
  --tls-listening-port "$port"
  --no-udp --no-tcp --no-dtls         # TLS over TCP only
  --no-tlsv1 --no-tlsv1_1
  --cert "$cert" --pkey "$key"
  --use-auth-secret
  --realm "$realm"
  --fingerprint
  --no-multicast-peers
  --no-tcp-relay                      # browsers relay UDP to mediasoup
  --no-cli
  --no-software-attribute
  --log-file stdout --simple-log
)
[ -n "${HAIQIAO_TURN_RELAY_IP:-}" ] && args+=(--relay-ip "$HAIQIAO_TURN_RELAY_IP")
# A TURN credential must not open a path into the networks behind this server (cloud metadata,
# databases, other hosts): only mediasoup's own address is an allowed peer among these ranges.
for range in 0.0.0.0-0.255.255.255 10.0.0.0-10.255.255.255 100.64.0.0-100.127.255.255 \
  169.254.0.0-169.254.255.255 172.16.0.0-172.31.255.255 192.0.0.0-192.0.0.255 \
  192.168.0.0-192.168.255.255 198.18.0.0-198.19.255.255 240.0.0.0-255.255.255.255 \
  '::-::ffff:ffff:ffff' 'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' 'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'; do
  args+=(--denied-peer-ip "$range")
done
peers=${HAIQIAO_TURN_PEER_IPS:-}
if [ -z "$peers" ] && [[ "${HAIQIAO_RTC_ANNOUNCED_ADDRESS:-}" =~ ^[0-9.]+$|: ]]; then peers=$HAIQIAO_RTC_ANNOUNCED_ADDRESS; fi
IFS=, read -ra peer_list <<< "$peers"
for peer in "${peer_list[@]}"; do [ -n "$peer" ] && args+=(--allowed-peer-ip "$peer"); done
[ "${HAIQIAO_TURN_ALLOW_LOOPBACK_PEERS:-0}" = 1 ] && args+=(--allow-loopback-peers)

printf '[turn] coturn: TURN over TLS on %s:%s, realm %s\n' "$listen_ip" "$port" "$realm"
exec turnserver "${args[@]}"
