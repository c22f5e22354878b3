#!/bin/sh
# Re-records the replay corpus (docs/replay.md): real clients talking to
# Debian's memcached through a veth pair between two network namespaces this
# script creates (and removes), captured on the client side with dumpcap
# (tshark's capture tool). Not run in CI: the .pcap files are committed.
# Needs root, memcached, memccapable (libmemcached-tools), dumpcap (tshark),
# python3, iproute2 (ethtool if present turns offloads off; else gso_max_segs 1),
# python3-pymemcache, node with the repo's node_modules (npm `memcached`,
# `memjs`), and a built wasmcached (dist/) for the lossy capture.
# Usage: test/pcap/record.sh [OUTDIR [NAME...]]
#   OUTDIR: default this script's directory; NAMEs: only those captures
#   (e.g. `record.sh "" meta mixed`), default all. Every client run is
#   bounded by `timeout`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
[ $# -gt 0 ] && shift
only=" $* "
# want NAME: whether NAME is to be recorded this run
want() { [ "$only" = "  " ] || case "$only" in *" $1 "*) true ;; *) false ;; esac; }
srv=wcrec-srv-$$
cli=wcrec-cli-$$
SIP=10.77.0.2
PORT=11211

cleanup() {
  [ -n "${mcpid:-}" ] && kill "$mcpid" 2>/dev/null || true
  [ -n "${cappid:-}" ] && kill "$cappid" 2>/dev/null || true
  ip netns del "$srv" 2>/dev/null || true
  ip netns del "$cli" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

ip netns add "$srv"
ip netns add "$cli"
ip link add wcrc0 netns "$cli" type veth peer name wcrs0 netns "$srv"
ip -n "$cli" addr add 10.77.0.1/24 dev wcrc0
ip -n "$srv" addr add "$SIP/24" dev wcrs0
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
ip -n "$cli" link set wcrc0 address 02:00:00:77:00:01 up
ip -n "$srv" link set wcrs0 address 02:00:00:77:00:02 up
# frames as a NIC would put them on the wire: no TSO/GSO super-frames
if command -v ethtool >/dev/null; then
  ip netns exec "$cli" ethtool -K wcrc0 tso off gso off gro off >/dev/null
  ip netns exec "$srv" ethtool -K wcrs0 tso off gso off gro off >/dev/null
else
  ip -n "$cli" link set wcrc0 gso_max_segs 1 || true
  ip -n "$srv" link set wcrs0 gso_max_segs 1 || true
fi
# Linux defaults (timestamps, SACK, window scaling) as the clients negotiate them
ip netns exec "$srv" sysctl -qw net.ipv4.tcp_timestamps=1


# record NAME FORMAT CMD...: fresh memcached, capture, run the client, stop
record() {
  name=$1; fmt=$2; shift 2
  want "$name" || return 0
  ip netns exec "$srv" memcached -u root -l "$SIP" -p "$PORT" -U 0 -t 1 -m 64 &
  mcpid=$!
  sleep 0.5
  ip netns exec "$cli" ip neigh flush dev wcrc0
  if [ "$fmt" = pcapng ]; then
    ip netns exec "$cli" dumpcap -q -i wcrc0 -f "tcp port $PORT or arp" -w "$out/$name.pcapng" 2>/dev/null &
  else
    ip netns exec "$cli" dumpcap -q -P -i wcrc0 -f "tcp port $PORT or arp" -w "$out/$name.pcap" 2>/dev/null &
  fi
  cappid=$!
  sleep 1
  ip netns exec "$cli" timeout 120 "$@"
  sleep 1
  kill "$cappid"; wait "$cappid" 2>/dev/null || true; cappid=
  kill "$mcpid"; wait "$mcpid" 2>/dev/null || true; mcpid=
  echo "recorded $name"
}

record memccapable pcap memccapable -h "$SIP" -p "$PORT" -a -q
record values pcap python3 "$here/session.py" "$SIP" "$PORT" values
record pipeline pcapng python3 "$here/session.py" "$SIP" "$PORT" pipeline
record errors pcap python3 "$here/session.py" "$SIP" "$PORT" errors
record expiry pcap python3 "$here/session.py" "$SIP" "$PORT" expiry
# real clients: Debian's pymemcache (its python, not one on PATH) and the npm client
record pymemcache pcap /usr/bin/python3 "$here/pymemcache_session.py" "$SIP" "$PORT"
record npm-memcached pcap node "$here/npm_memcached_session.cjs" "$SIP:$PORT"
# beyond the text protocol: binary (memccapable -b, npm memjs), meta, and
# three connections speaking text, binary and meta at once
record memccapable-binary pcap memccapable -h "$SIP" -p "$PORT" -b -q
record memjs pcap node "$here/memjs_session.cjs" "$SIP:$PORT"
record meta pcap python3 "$here/meta_session.py" "$SIP" "$PORT" meta
record mixed pcap python3 "$here/meta_session.py" "$SIP" "$PORT" mixed
want lossy || exit 0
# Loss and duplication, recorded with wasmcached's fault injector: wasmcached
# (dist/, `npm run build` first) serves on a TAP it creates, moved into the
# client namespace; --faults drops and duplicates frames between the TAP and
# its stack, so the capture on the TAP holds the kernel client's and our
# retransmissions. The server here is wasmcached itself.
repo=$(cd "$here/../.." && pwd)
tap=wcrt$$
node "$repo/dist/wasmcached.mjs" --tap "$tap" --ip 10.78.0.2/24 -p "$PORT" --faults loss=0.1,dup=0.05,seed=5 >/dev/null &
mcpid=$!
sleep 1.5
ip link set "$tap" netns "$cli"
ip -n "$cli" addr add 10.78.0.1/24 dev "$tap"
ip -n "$cli" link set "$tap" up
ip netns exec "$cli" dumpcap -q -P -i "$tap" -f "tcp port $PORT or arp" -w "$out/lossy.pcap" 2>/dev/null &
cappid=$!
sleep 1
ip netns exec "$cli" timeout 120 python3 "$here/session.py" 10.78.0.2 "$PORT" pipeline
sleep 1
kill "$cappid"; wait "$cappid" 2>/dev/null || true; cappid=
kill "$mcpid"; wait "$mcpid" 2>/dev/null || true; mcpid=
echo "recorded lossy"
