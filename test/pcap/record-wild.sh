#!/bin/sh
# Records the replay corpus's captures taken the ways people take them
# (docs/replay.md), against Debian's memcached: tcpdump with only a port
# filter (no ARP) on a veth with its offloads on (TSO/GSO super-frames,
# partial checksums); `tcpdump -i lo` (server 127.0.0.1, 64 KiB MTU);
# `tcpdump -i any` (Linux cooked v1, link type 113, and v2, 276); a capture
# started mid-connection. Network namespaces this script makes (and
# removes). No VLAN capture: this kernel has no 802.1Q device
# (test/replay.test.ts tags a recorded capture's frames instead). Not run
# in CI: the files are committed.
# Needs root, memcached, tcpdump, python3, iproute2.
# Usage: test/pcap/record-wild.sh [OUTDIR [NAME...]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
[ $# -gt 0 ] && shift
only=" $* "
want() { [ "$only" = "  " ] || case "$only" in *" $1 "*) true ;; *) false ;; esac; }
srv=wcwild-srv-$$
cli=wcwild-cli-$$
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
ip link add wcwc0 netns "$cli" type veth peer name wcws0 netns "$srv"
ip -n "$cli" addr add 10.77.1.1/24 dev wcwc0
ip -n "$srv" addr add 10.77.1.2/24 dev wcws0
for ns in "$cli" "$srv"; do ip -n "$ns" link set lo up; done
ip -n "$cli" link set wcwc0 address 02:00:00:77:01:01 up
ip -n "$srv" link set wcws0 address 02:00:00:77:01:02 up
# the kernel's defaults stay: offloads on, so super-frames and partial checksums

# record NAME SERVER-IP IFACE FILTER-NS "TCPDUMP-ARGS" CLIENT-NS SESSION [late]:
# fresh memcached, tcpdump, the session, stop
record() {
  name=$1; sip=$2; ifc=$3; capns=$4; targs=$5; clins=$6; session=$7; late=${8:-}
  want "$name" || return 0
  ip netns exec "$srv" memcached -u root -l "$sip" -p "$PORT" -U 0 -t 1 -m 64 &
  mcpid=$!
  sleep 0.5
  if [ -n "$late" ]; then
    ip netns exec "$clins" timeout 60 python3 "$here/session.py" "$sip" "$PORT" "$session" &
    clipid=$!
    sleep 0.7
  fi
  # shellcheck disable=SC2086 # targs is a word list
  ip netns exec "$capns" tcpdump -q -U -B 65536 -i "$ifc" $targs -w "$out/$name.pcap" port "$PORT" 2>"$out/.$name.log" &
  cappid=$!
  sleep 1
  if [ -n "$late" ]; then wait "$clipid"; else
    ip netns exec "$clins" timeout 60 python3 "$here/session.py" "$sip" "$PORT" "$session"
  fi
  sleep 1
  kill "$cappid"; wait "$cappid" 2>/dev/null || true; cappid=
  kill "$mcpid"; wait "$mcpid" 2>/dev/null || true; mcpid=
  # a capture that lost frames cannot be compared whole (the replay's check says so too)
  dropped=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel$/\1/p' "$out/.$name.log")
  rm -f "$out/.$name.log"
  if [ "${dropped:-0}" != 0 ]; then echo "$name: tcpdump dropped $dropped packets; record again" >&2; exit 1; fi
  echo "recorded $name"
}

# tcpdump -i IFACE port 11211 on the client's veth, offloads on: no ARP, super-frames
record port-offload 10.77.1.2 wcwc0 "$cli" "" "$cli" values
# tcpdump -i lo against memcached on 127.0.0.1 (client and server in one namespace)
record loopback 127.0.0.1 lo "$srv" "" "$srv" values
# tcpdump -i any: Linux cooked v1 (-y LINUX_SLL) and v2 (tcpdump 4.99's default)
record any-sll 10.77.1.2 any "$cli" "-y LINUX_SLL" "$cli" pipeline
record any-sll2 10.77.1.2 any "$cli" "" "$cli" pipeline
# started mid-connection: the handshake is before the capture
record midstream 10.77.1.2 wcwc0 "$cli" "" "$cli" late late
