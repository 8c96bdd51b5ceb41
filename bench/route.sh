#!/bin/bash
# Routing throughput of one espgate worker, with no NIC and no peer:
#
#   net_pcap0 (rx_pcap=FILE, infinite_rx=1)  ->  espgate  ->  net_null0 (no-rx)
#   "lan", protected, 198.18.1.1/24              "wan", unprotected, 198.18.2.1/24
#
# Run from the repository root after the build (scripts/setup.sh):
#
#   bench/route.sh                 # BUILD_DIR=build, 5 s per size
#   BENCH_SECONDS=10 BENCH_SIZES="64 512 1420" bench/route.sh
#
# Frame sizes are Ethernet frames including the 4-byte FCS (so the pcap
# records are 4 bytes shorter): Ether/IPv4/UDP from 198.18.1.x (varied
# source addresses and ports) to 198.18.2.2, whose MAC is a static neighbor.
# The rate is espgate's own: two `espgatectl stats --json` reads
# BENCH_SECONDS apart, delta of totals.forwarded over the measured time.
# Prints one line per size and ends with
#   RESULT route_64B_mpps=X route_1420B_mpps=Y
# It never fails on a figure; it fails only if espgate cannot be run.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
ESPGATE=$BUILD/app/espgate
CTL=$BUILD/app/espgatectl
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
SIZES=${BENCH_SIZES:-64 1420}
FRAMES=${BENCH_FRAMES:-512}
WORKER_LCORE=${BENCH_WORKER_LCORE:-1}

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"

die() { echo "bench: FAILED: $*" >&2; exit 1; }

{ [ -x "$ESPGATE" ] && [ -x "$CTL" ]; } || die "no $ESPGATE / $CTL: build first (scripts/setup.sh)"
deps_need py scapy
deps_need pmd net_pcap net_null bus_vdev mempool_ring

# No namespaces here: only the work dir, processes and EAL runtime dirs.
NETNS_ID="egb$$"
NETNS_WORKDIR=$(mktemp -d "/tmp/${NETNS_ID}.XXXXXX") || die "mktemp"
trap 'netns_cleanup' EXIT
trap 'exit 130' INT TERM
W=$NETNS_WORKDIR

# gen_pcap SIZE FILE: FRAMES frames of SIZE bytes (FCS included).
gen_pcap() {
	/usr/bin/python3 - "$1" "$FRAMES" "$2" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
size, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
payload = size - 4 - 14 - 20 - 8
if payload < 0:
    sys.exit("frame size %d is below 46" % size)
frames = [Ether(src="02:00:00:00:00:10", dst="02:00:00:00:00:01") /
          IP(src="198.18.1.%d" % (2 + i % 250), dst="198.18.2.2", ttl=64) /
          UDP(sport=1024 + (i * 7) % 60000, dport=9) /
          Raw(bytes((i + j) & 0xff for j in range(payload)))
          for i in range(n)]
wrpcap(out, frames)
PY
}

# stats_read FILE: one `stats --json` snapshot; prints the time it was taken.
stats_read() {
	local t
	t=$(date +%s.%N)
	"$CTL" --socket "$SOCK" --json stats >"$1" || return 1
	echo "$t"
}

# run_size SIZE: sets MPPS.
run_size() {
	local size=$1 pcap=$W/route-$1.pcap conf=$W/route-$1.json log=$W/espgate-$1.log
	local prefix="${NETNS_ID}-$1" t0 t1 pid
	SOCK=$W/espgate-$1.sock
	MPPS="n/a"
	gen_pcap "$size" "$pcap" || die "generating $pcap"
	dpdk_prefix_register "$prefix"
	cat >"$conf" <<EOF
{
  "eal": ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", "$prefix"],
  "lcores": {"control": 0, "workers": [$WORKER_LCORE]},
  "control": {"socket": "$SOCK"},
  "log": {"level": "warning"},
  "ports": [
    {"name": "lan", "device": "net_pcap0,rx_pcap=$pcap,infinite_rx=1",
     "role": "protected", "addresses": ["198.18.1.1/24"], "mac": "02:00:00:00:00:01"},
    {"name": "wan", "device": "net_null0,no-rx=1",
     "role": "unprotected", "addresses": ["198.18.2.1/24"]}
  ],
  "neighbors": [
    {"address": "198.18.2.2", "mac": "02:00:00:00:00:02", "port": "wan"}
  ]
}
EOF
	bg_run pid "$log" "$ESPGATE" --config "$conf"
	if ! wait_for "! kill -0 $pid || '$CTL' --socket '$SOCK' status" 30 ||
		! kill -0 "$pid" 2>/dev/null; then
		tail -n 20 "$log" >&2
		die "espgate did not start (size $size)"
	fi
	sleep 1 # warm up
	t0=$(stats_read "$W/s0-$size.json") || die "espgatectl stats"
	sleep "$SECONDS_PER_RUN"
	t1=$(stats_read "$W/s1-$size.json") || die "espgatectl stats"
	stop_pid "$pid" 10

	local line
	line=$(/usr/bin/python3 - "$W/s0-$size.json" "$W/s1-$size.json" "$t0" "$t1" "$size" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
dt = float(sys.argv[4]) - float(sys.argv[3])
size = int(sys.argv[5])
fwd = b["totals"]["forwarded"] - a["totals"]["forwarded"]
drops = b["totals"]["drops"] - a["totals"]["drops"]
rx = b["totals"]["rx_packets"] - a["totals"]["rx_packets"]
mpps = fwd / dt / 1e6
gbps = mpps * 1e6 * (size + 20) * 8 / 1e9   # + preamble, SFD and IFG
print("%.2f route %5dB: %7.2f Mpps forwarded (%.2f Gbit/s on the wire), rx %.2f Mpps, drops %.2f Mpps, %.1f s"
      % (mpps, size, mpps, gbps, rx / dt / 1e6, drops / dt / 1e6, dt))
PY
	) || die "reading counters"
	MPPS=${line%% *}
	echo "${line#* }"
}

echo "bench: espgate $BUILD_DIR, 1 worker (lcore $WORKER_LCORE), net_pcap -> net_null, ${SECONDS_PER_RUN}s per size"
RESULT="RESULT"
for s in $SIZES; do
	run_size "$s"
	RESULT="$RESULT route_${s}B_mpps=$MPPS"
done
echo "$RESULT"
