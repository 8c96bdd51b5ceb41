#!/bin/bash
# espgate in five seconds: build it, route between two hosts through it.
#
#   sudo scripts/demo.sh
#
#   h1 198.18.1.2 ---- veth ---- gw: espgate ---- veth ---- h2 198.18.2.2
#   2001:db8:1::2                (net_af_packet)           2001:db8:2::2
#
# Runs scripts/setup.sh, builds this topology in network namespaces, starts
# espgate in gw, shows IPv4 and IPv6 ping and a 5 s iperf3 through it, prints
# `espgatectl stats`, and removes everything again (also on failure or ^C).
# ESPGATE_DEMO_STANDIN=kernel shows the same with gw's kernel forwarding.
# SKIP_SETUP=1 skips scripts/setup.sh.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
export BUILD_DIR
MODE=${ESPGATE_DEMO_STANDIN:-espgate}
[ "$MODE" = espgate ] || MODE=kernel

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"

if [ -t 1 ]; then BOLD=$'\033[1m' NORM=$'\033[0m'; else BOLD="" NORM=""; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$NORM"; }
fail() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	if [ -n "${EG_LOG:-}" ] && [ -s "$EG_LOG" ]; then
		echo "espgate log (tail):" >&2
		tail -n 30 "$EG_LOG" >&2
	fi
	exit 1
}
# show CMD...: print the command, then run it.
show() {
	printf '$ %s\n' "$*"
	"$@"
}

if [ "${SKIP_SETUP:-0}" != 1 ]; then
	step "setup and build"
	"$ROOT/scripts/setup.sh" || fail "scripts/setup.sh"
fi

netns_init egd || fail "needs root"
W=$NETNS_WORKDIR
EG_LOG=$W/espgate.log

step "topology: h1 <-> gw <-> h2 (namespaces ${NETNS_ID}-*)"
topo_route_create "$MODE" || fail "could not build the topology"
echo "h1 $H1_IF: $H1_V4/24 $H1_V6/64, default via $GW_LAN_V4 / $GW_LAN_V6"
echo "h2 $H2_IF: $H2_V4/24 $H2_V6/64, default via $GW_WAN_V4 / $GW_WAN_V6"

if [ "$MODE" = espgate ]; then
	step "start espgate in gw"
	topo_route_config "$W/espgate.json" info
	cat "$W/espgate.json"
	espgate_start "$BUILD" "$W/espgate.json" "$EG_LOG" 30 ||
		fail "espgate did not start"
	show "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" status || fail "espgatectl status"
	show "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" ports || fail "espgatectl ports"
else
	step "stand-in: gw's kernel forwards (no espgate)"
fi

step "ping h1 -> gw and h1 -> h2 (IPv4 and IPv6)"
nsx "$NS_H1" ping -q -n -c 1 -w 5 "$H2_V4" >/dev/null 2>&1   # resolve next hops first
nsx "$NS_H1" ping -q -n -c 1 -w 5 -6 "$H2_V6" >/dev/null 2>&1
show ip netns exec "$NS_H1" ping -n -c 3 -i 0.2 -w 10 "$GW_LAN_V4" || fail "ping $GW_LAN_V4"
show ip netns exec "$NS_H1" ping -n -c 3 -i 0.2 -w 10 "$H2_V4" || fail "ping $H2_V4"
show ip netns exec "$NS_H1" ping -6 -n -c 3 -i 0.2 -w 10 "$H2_V6" || fail "ping $H2_V6"

step "traceroute-style: ping -t 1 (TTL expires at gw)"
show ip netns exec "$NS_H1" ping -n -c 1 -t 1 -w 3 "$H2_V4"

step "iperf3 TCP h1 -> h2, 5 s"
bg_run IPERF_PID "$W/iperf-server.log" ip netns exec "$NS_H2" iperf3 -s -1 -B "$H2_V4"
wait_for "nsx '$NS_H2' ss -Hltn 'sport = :5201' | grep -q ." 10 || fail "iperf3 server"
show timeout 30 ip netns exec "$NS_H1" iperf3 -c "$H2_V4" -t 5 -f m || fail "iperf3"

if [ "$MODE" = espgate ]; then
	step "espgatectl stats"
	show "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" stats || fail "espgatectl stats"

	step "stop espgate (SIGTERM)"
	kill -TERM "$ESPGATE_PID"
	wait_pid_exit "$ESPGATE_PID" 10 || fail "espgate did not stop within 10 s"
	[ "$WAIT_STATUS" -eq 0 ] || fail "espgate exited with status $WAIT_STATUS"
	echo "espgate exited 0"
fi

step "clean up"
netns_cleanup
echo "demo: OK"
exit 0
