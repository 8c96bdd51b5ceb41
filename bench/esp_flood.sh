#!/bin/bash
# espgate's WAN flooded with hostile ESP while a legitimate tunnel carries
# TCP (issue 16 item 5). Figures; never fails on them, only when something
# cannot run. Needs root. After the build:
#
#   bench/esp_flood.sh [BUILD_DIR]          (default build; about 1 minute)
#
# Topology: scripts/lib/tunnel.sh (host - br: charon - gw: espgate - srv;
# ESP in UDP 4500). bench/esp_flood.py writes pcaps of seven kinds of
# hostile ESP-in-UDP to espgate's WAN address (bad ICV, unknown SPI,
# replayed sequence numbers, truncated ESP, an IP length beyond the frame,
# a UDP length above and below the IP payload's), tcpreplay sends them
# from br's WAN veth:
#   1. counting: each kind alone, COUNT_N frames at 2000/s (nothing lost
#      on the way): which espgatectl stats --json / sas counter grew.
#   2. throughput: iperf3 TCP host -> srv through the tunnel for
#      FLOOD_SECONDS, unflooded, then with the mixed pcap looped at
#      FLOOD_RATE_PPS (20000), then at tcpreplay's top speed;
#      legit_ratio = flooded (top speed) / unflooded. At top speed
#      tcpreplay takes a whole core of the two: charon's userspace ESP
#      and iperf3 lose CPU, not only espgate. Then a tunnel carrying a
#      given load: iperf3 UDP at UDP_MBPS unflooded and under the top-speed
#      flood; legit_udp_ratio = the share received flooded / unflooded,
#      with where the datagrams were lost (espgate's inbound SA count).
#   3. the mbufs in use (resources block) before and after.
# Last line: RESULT flood_pps=X legit_ratio=Y legit_ratio_at_Npps=Z legit_udp_ratio=U
#
# Environment: FLOOD_SECONDS (10), COUNT_N (2000), FLOOD_RATE_PPS (20000),
# UDP_MBPS (20); TUN_AF_PACKET_ARGS (scripts/lib/tunnel.sh, default
# ",framecnt=4096"; "" for the PMD's default ring, which loses part of the
# flood and of the tunnel in the kernel).
# NETNS_KEEP_WORKDIR=1 keeps logs, pcaps and stats snapshots.

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || { echo "bench: no build dir" >&2; exit 1; }
SECS=${FLOOD_SECONDS:-10}
COUNT_N=${COUNT_N:-2000}
RATE_PPS=${FLOOD_RATE_PPS:-20000}
UDP_MBPS=${UDP_MBPS:-20}
PY=/usr/bin/python3

# shellcheck source=bench/flood_lib.sh
source "$ROOT/bench/flood_lib.sh"
deps_need prog iperf3 tcpreplay
deps_need py scapy
stats_save() { eg_ctl --json stats >"$1" && eg_sas_json >"$1.sas" || die "espgatectl"; }
# sa_in_packets SAS_JSON: packets the inbound data-plane SAs took.
sa_in_packets() { "$PY" -c 'import json,sys; print(sum(s["packets"] for s in json.load(open(sys.argv[1])).get("sas", []) if s["direction"] == "in"))' "$1"; }
# grown S0 S1: every drop counter (worker, control, the Child SAs') that grew.
grown() {
	"$PY" - "$1" "$2" <<'PYEOF'
import json, sys
def flat(f):
    d, s = json.load(open(f)), json.load(open(f + ".sas"))
    out = {}
    for w in d["workers"]:
        for k, v in w["drops"].items():
            out["worker." + k] = out.get("worker." + k, 0) + v
    for k, v in d["control"]["drops"].items():
        out["control." + k] = v
    for sa in s.get("sas", []):  # the data plane's SAs
        for k, v in (sa.get("drops") or {}).items():
            out["sa." + k] = out.get("sa." + k, 0) + v
    out["wan.rx_packets"] = d["ports"][1]["rx_packets"]
    out["mbufs_in_use"] = d["resources"]["mbufs_in_use"]
    return out
a, b = flat(sys.argv[1]), flat(sys.argv[2])
print(" ".join("%s+%d" % (k, b[k] - a.get(k, 0)) for k in sorted(b) if b[k] - a.get(k, 0)))
PYEOF
}

flood_start esf
tunnel_up 20 >"$W/up.log" 2>&1 || die "tunnel: $(tail -n 3 "$W/up.log")"
ping5 "$NS_HOST" "$SRV_V4" >/dev/null || die "no ping through the tunnel"
SPI=$(eg_json "d['child_sas'][0]['spi_in']") || die "no SPI"
SRC_MAC=$(ip -n "$NS_BR" -br link show "$BR_WAN" | awk '{ print $3 }')
DST_MAC=$(ip -n "$NS_GW" -br link show "$GW_WAN" | awk '{ print $3 }')
KINDS=$("$PY" "$ROOT/bench/esp_flood.py" "$W" "$SRC_MAC" "$DST_MAC" "$BR_WAN_V4" "$GW_WAN_V4" "$SPI" "$COUNT_N") ||
	die "esp_flood.py"
echo "bench: legitimate Child SA in $SPI; hostile kinds: $KINDS"

# tcp_run TAG: iperf3 TCP host -> srv for SECS; Mbit/s received in TCP_MBPS.
tcp_run() {
	iperf_server "$NS_SRV" "$SRV_V4" 5201 "$W/tcp-$1-server.json" -J || die "iperf3 server"
	timeout $((SECS + 30)) ip netns exec "$NS_HOST" nice -n "$TUN_PRIO" iperf3 -c "$SRV_V4" -t "$SECS" -J \
		>"$W/tcp-$1.json" 2>"$W/tcp-$1.err" || die "iperf3 $1: $(tail -n 3 "$W/tcp-$1.err")"
	wait_pid_exit "$SRV_PID" 10 || stop_pid "$SRV_PID"
	TCP_MBPS=$(json_get "$W/tcp-$1.json" 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 1)')
}

# udp_load_run TAG: iperf3 UDP host -> srv at UDP_MBPS for SECS (1200-byte
# datagrams, under the tunnel's MTU); the share of datagrams srv received
# in UDP_GOT (iperf3's receiver-side count).
udp_load_run() {
	iperf_server "$NS_SRV" "$SRV_V4" 5202 "$W/udp-$1-server.json" -J || die "iperf3 server"
	timeout $((SECS + 30)) ip netns exec "$NS_HOST" nice -n "$TUN_PRIO" iperf3 -c "$SRV_V4" -p 5202 \
		-u -b "${UDP_MBPS}M" -l 1200 -t "$SECS" -J >"$W/udp-$1.json" 2>"$W/udp-$1.err" ||
		die "iperf3 -u $1: $(tail -n 3 "$W/udp-$1.err")"
	wait_pid_exit "$SRV_PID" 10 || stop_pid "$SRV_PID"
	UDP_GOT=$(json_get "$W/udp-$1.json" 'round(1 - d["end"]["sum"]["lost_packets"] / max(d["end"]["sum"]["packets"], 1), 4)')
}

# --- 1: each kind alone, counted ------------------------------------------
# A short TCP run first moves the window past the replayed sequence numbers.
SECS_SAVE=$SECS SECS=2
tcp_run warm
SECS=$SECS_SAVE
stats_save "$W/k0.json"
MB0=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"]["mbufs_in_use"])' "$W/k0.json")
prev=$W/k0.json
for k in $KINDS; do
	nsx "$NS_BR" tcpreplay -q -i "$BR_WAN" --pps=2000 "$W/$k.pcap" >"$W/replay-$k.log" 2>&1 || die "tcpreplay $k"
	sleep 0.3
	stats_save "$W/k-$k.json"
	printf '%-12s %s sent: %s\n' "$k" "$COUNT_N" "$(grown "$prev" "$W/k-$k.json")"
	prev=$W/k-$k.json
done

# --- 2: throughput unflooded and flooded ----------------------------------
tcp_run clean
CLEAN=$TCP_MBPS
echo "unflooded: TCP host -> srv $CLEAN Mbit/s"
# flood_run TAG TCPREPLAY_RATE_OPTION [udp]: the mixed pcap looped while
# iperf3 runs (TCP, or UDP at UDP_MBPS); FLOODED (Mbit/s) or UDP_GOT, PPS
# and SENT (tcpreplay's), counters printed.
flood_run() {
	stats_save "$W/$1-0.json"
	bg_run REPLAY "$W/replay-$1.log" ip netns exec "$NS_BR" tcpreplay -i "$BR_WAN" "$2" \
		--duration="$((SECS + 3))" --loop=0 "$W/mixed.pcap"
	NETNS_PIDS+=("$REPLAY")
	sleep 1
	if [ "${3:-}" = udp ]; then
		udp_load_run "$1"
	else
		tcp_run "$1"
		FLOODED=$TCP_MBPS
	fi
	wait "$REPLAY" 2>/dev/null
	sleep 0.5
	stats_save "$W/$1-1.json"
	PPS=$(awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) { print int($(i - 1)); exit } }' "$W/replay-$1.log")
	SENT=$(awk '/Actual:/ { print $2; exit }' "$W/replay-$1.log")
	if [ "${3:-}" = udp ]; then
		echo "flooded ($2): UDP host -> srv at $UDP_MBPS Mbit/s, $UDP_GOT of it received (unflooded $UDP_CLEAN) while tcpreplay sent $SENT hostile frames at ${PPS:-?} pps"
		echo "  where the datagrams went: iperf3 sent $(json_get "$W/udp-$1.json" 'd["end"]["sum"]["packets"]'), espgate's inbound SAs took $(($(sa_in_packets "$W/$1-1.json.sas") - $(sa_in_packets "$W/$1-0.json.sas"))) (iperf3's control connection included), srv received $(json_get "$W/udp-$1.json" 'd["end"]["sum"]["packets"] - d["end"]["sum"]["lost_packets"]')"
	else
		echo "flooded ($2): TCP host -> srv $FLOODED Mbit/s ($(calc "$FLOODED / ($CLEAN > 0 ? $CLEAN : 1)" 3) of unflooded) while tcpreplay sent $SENT hostile frames at ${PPS:-?} pps"
	fi
	echo "  counters grown: $(grown "$W/$1-0.json" "$W/$1-1.json")"
}
flood_run rate "--pps=$RATE_PPS"
RATE_RATIO=$(calc "$FLOODED / ($CLEAN > 0 ? $CLEAN : 1)" 3)
flood_run top --topspeed
RATIO=$(calc "$FLOODED / ($CLEAN > 0 ? $CLEAN : 1)" 3)
# A tunnel carrying a given load rather than all it can: UDP at UDP_MBPS.
udp_load_run clean
UDP_CLEAN=$UDP_GOT
echo "unflooded: UDP host -> srv at $UDP_MBPS Mbit/s, $UDP_CLEAN of it received"
flood_run udptop --topspeed udp
UDP_RATIO=$(calc "$UDP_GOT / ($UDP_CLEAN > 0 ? $UDP_CLEAN : 1)" 3)

# --- 3: mbufs --------------------------------------------------------------
sleep 1
stats_save "$W/end.json"
MB1=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["resources"]["mbufs_in_use"])' "$W/end.json")
echo "mbufs in use: $MB0 before the floods, $MB1 after; tunnel $(tunnel_eg_up && echo up || echo down)"
echo "RESULT flood_pps=${PPS:-0} legit_ratio=$RATIO legit_ratio_at_${RATE_PPS}pps=$RATE_RATIO legit_udp_ratio=$UDP_RATIO"
