#!/bin/bash
# End-to-end routing through espgate in network namespaces. Prints TAP.
#
#   bash tests/e2e/route.sh BUILD_DIR        (meson runs it this way; root)
#
#   h1 ---- veth ---- gw (espgate, net_af_packet on both veths) ---- veth ---- h2
#
# ESPGATE_E2E_STANDIN=kernel develops the plumbing without espgate: gw's
# kernel forwards instead, and the espgate-only test points are skipped.
# NETNS_KEEP_WORKDIR=1 keeps the configs and logs.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
ESPGATE=$BUILD/app/espgate
CTL=$BUILD/app/espgatectl
MODE=${ESPGATE_E2E_STANDIN:-espgate}
[ "$MODE" = espgate ] || MODE=kernel

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping iperf3
deps_need pmd net_af_packet net_null bus_vdev mempool_ring

PLAN=16
N=0
FATAL=""
echo "1..$PLAN"

diag() { sed 's/^/# /'; }
ok() { N=$((N + 1)); echo "ok $N - $1${2:+ # $2}"; }
FAILED=0
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }

# check DESC CMD...: one test point; CMD's output goes to $LOG_T and is shown
# as diagnostics when it fails. After a fatal failure, the rest fail at once.
LOG_T=/dev/null
check() {
	local desc=$1
	shift
	if [ -n "$FATAL" ]; then
		not_ok "$desc"
		echo "# not run: $FATAL"
		return 1
	fi
	if "$@" >"$LOG_T" 2>&1; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	tail -n 25 "$LOG_T" | diag
	return 1
}
# espgate-only test point
check_eg() {
	if [ "$MODE" != espgate ]; then
		skip "$1" "kernel stand-in"
		return 0
	fi
	check "$@"
}

show_espgate_log() {
	[ -s "$EG_LOG" ] && { echo "espgate log (tail):"; tail -n 30 "$EG_LOG"; } | diag
}

finish() {
	while [ "$N" -lt "$PLAN" ]; do
		not_ok "not reached"
	done
}

# ---------------------------------------------------------------------------
if ! netns_init egr; then
	not_ok "namespaces h1, gw, h2 and veths set up"
	echo "# must run as root"
	finish
	exit 1
fi
trap 'finish; netns_cleanup || exit 1' EXIT
W=$NETNS_WORKDIR
LOG_T=$W/step.log
EG_LOG=$W/espgate.log
CONF=$W/espgate.json

# 1: topology
setup_topology() {
	topo_route_create "$MODE" || return 1
	topo_route_config "$CONF" info
}
if ! check "namespaces h1, gw, h2 and veths set up ($MODE)" setup_topology; then
	FATAL="topology setup failed"
fi

# 2: config accepted by --check
check_eg "espgate --check accepts the configuration" \
	"$ESPGATE" --check --config "$CONF"

# 3: espgate starts and answers status
start_espgate() {
	espgate_start "$BUILD" "$CONF" "$EG_LOG" 30 || {
		echo "espgate did not start or espgatectl status did not answer"
		tail -n 30 "$EG_LOG"
		return 1
	}
	"$CTL" --socket "$ESPGATE_SOCK" --json status >"$W/status.json" || return 1
	cat "$W/status.json"
	[ "$(json_get "$W/status.json" 'd["state"]')" = running ]
}
if [ "$MODE" = espgate ]; then
	if ! check "espgate starts in gw and espgatectl status says running" start_espgate; then
		show_espgate_log
		FATAL="espgate is not running"
	fi
else
	skip "espgate starts in gw and espgatectl status says running" "kernel stand-in"
fi

# ping_ok NS ARGS...: 5 pings, none lost. A first (unchecked) ping lets the
# gateway resolve its next hop.
ping_ok() {
	local ns=$1
	shift
	nsx "$ns" ping -q -n -c 1 -w 5 "$@" >/dev/null 2>&1
	nsx "$ns" ping -n -c 5 -i 0.2 -W 2 -w 10 "$@" || return 1
}

# 4-7: pings to gw's own addresses and through it
check "ping h1 -> gw 198.18.1.1" ping_ok "$NS_H1" "$GW_LAN_V4"
check "ping -6 h1 -> gw 2001:db8:1::1" ping_ok "$NS_H1" -6 "$GW_LAN_V6"
check "ping h1 -> h2 198.18.2.2 (5 pings, no loss)" ping_ok "$NS_H1" "$H2_V4"
check "ping -6 h1 -> h2 2001:db8:2::2 (5 pings, no loss)" ping_ok "$NS_H1" -6 "$H2_V6"

# 8-9: TTL / hop limit expiry answered by gw's lan address
ttl_expiry() {
	local out
	out=$(nsx "$NS_H1" ping -n -c 1 -W 3 -w 5 "$@" 2>&1)
	echo "$out"
	grep -q "From $GW_LAN_V4 .*Time to live exceeded" <<<"$out"
}
hop_expiry() {
	local out
	out=$(nsx "$NS_H1" ping -6 -n -c 1 -W 3 -w 5 "$@" 2>&1)
	echo "$out"
	grep -q "From $GW_LAN_V6 .*Time exceeded: Hop limit" <<<"$out"
}
check "ping -t 1 h1 -> h2: Time to live exceeded from 198.18.1.1" \
	ttl_expiry -t 1 "$H2_V4"
check "ping -6 -t 1 h1 -> h2: hop limit exceeded from 2001:db8:1::1" \
	hop_expiry -t 1 "$H2_V6"

# 10: reverse direction and gw's wan address
reverse_pings() { ping_ok "$NS_H2" "$GW_WAN_V4" && ping_ok "$NS_H2" "$H1_V4"; }
check "ping h2 -> gw 198.18.2.1 and h2 -> h1 198.18.1.2" reverse_pings

# 11: 10 s of TCP
IPERF_NOTE=""
iperf_run() {
	local spid
	bg_run spid "$W/iperf-server.log" ip netns exec "$NS_H2" \
		iperf3 -s -1 -B "$H2_V4" -p 5201
	wait_for "nsx '$NS_H2' ss -Hltn 'sport = :5201' | grep -q ." 10 || {
		echo "iperf3 server did not listen"
		cat "$W/iperf-server.log"
		return 1
	}
	timeout 40 ip netns exec "$NS_H1" iperf3 -c "$H2_V4" -p 5201 -t 10 -J \
		>"$W/iperf.json" 2>"$W/iperf.err" || {
		cat "$W/iperf.err"
		head -c 2000 "$W/iperf.json"
		return 1
	}
	wait_pid_exit "$spid" 10 || stop_pid "$spid"
	local rx
	rx=$(json_get "$W/iperf.json" \
		'"%.1f Mbit/s, %d bytes" % (d["end"]["sum_received"]["bits_per_second"] / 1e6, d["end"]["sum_received"]["bytes"])') ||
		return 1
	IPERF_NOTE="received $rx"
	echo "$IPERF_NOTE"
	json_get "$W/iperf.json" 'd["end"]["sum_received"]["bytes"] > 0' | grep -qx True
}
if check "iperf3 TCP h1 -> h2 for 10 s" iperf_run; then
	echo "# iperf3: $IPERF_NOTE"
fi

# 12: counters
stats_check() {
	"$CTL" --socket "$ESPGATE_SOCK" --json stats >"$W/stats.json" || return 1
	json_get "$W/stats.json" '"totals: %s" % d["totals"]'
	json_get "$W/stats.json" '"ports: %s" % [(p["name"], p["rx_packets"], p["tx_packets"]) for p in d["ports"]]'
	json_get "$W/stats.json" '
d["totals"]["forwarded"] >= 20
and [p for p in d["ports"] if p["name"] == "lan"][0]["rx_packets"] > 0
and [p for p in d["ports"] if p["name"] == "wan"][0]["rx_packets"] > 0
' | grep -qx True
}
if check_eg "espgatectl stats --json: forwarded >= 20, lan and wan rx_packets > 0" stats_check &&
	[ "$MODE" = espgate ] && [ -s "$W/stats.json" ]; then
	json_get "$W/stats.json" '"totals %s" % d["totals"]' | diag
fi

# 13: DPDK telemetry
telemetry_check() {
	echo /espgate/stats | timeout 10 dpdk-telemetry.py -f "$ESPGATE_PREFIX" >"$W/telemetry.out" || return 1
	cat "$W/telemetry.out"
	tail -n 1 "$W/telemetry.out" | json_get - '
"forwarded" in d["/espgate/stats"]["totals"] and d["/espgate/stats"]["totals"]["forwarded"] > 0
' | grep -qx True
}
check_eg "dpdk-telemetry.py /espgate/stats has totals.forwarded" telemetry_check

# 14-15: bad configurations: exit status 2 and FILE:LINE:COL: message
bad_config() {
	local file=$1 line=$2 word=$3 out rc
	out=$(timeout 20 "$ESPGATE" --config "$file" 2>&1 >/dev/null)
	rc=$?
	echo "exit status $rc, stderr:"
	echo "$out"
	[ "$rc" -eq 2 ] || return 1
	grep -Eq "^$(printf '%s' "$file" | sed 's/[.[\*^$]/\\&/g'):$line:[0-9]+: .*$word" <<<"$out"
}
if [ -z "$FATAL" ] || [ "$FATAL" = "espgate is not running" ]; then
	# Line 4 has a syntax error (no value).
	cat >"$W/bad-syntax.json" <<EOF
{
  "eal": ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", "${NETNS_ID}-bad"],
  "lcores": {"control": 0, "workers": [1]},
  "control": {"socket": },
  "ports": []
}
EOF
	# Line 7 names a role that does not exist.
	cat >"$W/bad-role.json" <<EOF
{
  "eal": ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", "${NETNS_ID}-bad"],
  "lcores": {"control": 0, "workers": [1]},
  "control": {"socket": "$W/bad.sock"},
  "ports": [
    {"name": "lan", "device": "net_null0",
     "role": "sideways", "addresses": ["198.18.1.1/24"]}
  ]
}
EOF
	dpdk_prefix_register "${NETNS_ID}-bad"
fi
SAVED_FATAL=$FATAL
[ "$FATAL" = "espgate is not running" ] && FATAL=""
check_eg "bad JSON: espgate exits 2 with FILE:4:COL: message" \
	bad_config "$W/bad-syntax.json" 4 ""
check_eg "unknown port role: espgate exits 2 with FILE:LINE:COL: ...role... message" \
	bad_config "$W/bad-role.json" "[0-9]+" "role"
FATAL=$SAVED_FATAL

# 16: SIGTERM
if ! check_eg "SIGTERM: espgate exits 0 within 10 s" eg_sigterm; then
	show_espgate_log
fi

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
