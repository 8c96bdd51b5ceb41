#!/bin/bash
# IKEv2 setups through the espgate daemon (issue 19 item 5): the load
# generator's IKE_SA_INIT + IKE_AUTH reach espgate over its DPDK port, so
# the figure includes the control lcore's I/O (punt ring, TX), the engine
# and the Child SA installs into the data plane; beside it lib/ike alone
# (build/tests/ike-udp, as bench/ike.sh run 1 measures it) on the same
# addresses in the same run.
#
#   netns gen: 198.18.0.1/24 [veth] ---- [veth] 198.18.0.2/24 :netns gw
#   build/bench/ike_load (CPU 0)         espgate: wan = net_af_packet on it,
#                                        control lcore 1, worker lcore 0;
#                                        lan = net_af_packet on a veth to
#                                        netns lan (198.18.2.1/24)
#   Child SA selectors 198.18.1.0/24 <=> 198.18.2.0/24 (every SA the same)
#
# ike_load keeps BENCH_WINDOW (64) setups in flight, each IKE_SA_INIT +
# IKE_AUTH with one Child SA (PSK, aes128gcm16-prfsha256-x25519, ESP
# aes128gcm16), deleted once up (a setup is 3 exchanges, as in ike.sh).
# espgate times each IKE SA from its first datagram (taken off the punt
# ring) to its Child SA's SAs in the data plane (espgatectl ike_setup).
#
# Run from the repository root after the build, as root:
#   bench/ike_daemon.sh
#   BENCH_SECONDS=20 bench/ike_daemon.sh
#
# Environment: BUILD_DIR (build), BENCH_SECONDS (10), BENCH_WARMUP (1),
# BENCH_WINDOW (64), BENCH_SKIP_LIBIKE=1 (no ike-udp run).
# Ends with
#   RESULT daemon_ike_setups_per_s=X install_p99_ms=Y
# X is the wall rate (espgate's lcores busy-poll: its CPU time is always
# two cores); the ratios to ike-udp's wall rate and to its rate per
# CPU-second are printed before. Never fails on a figure.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
IKE_UDP=$BUILD/tests/ike-udp
LOAD=$BUILD/bench/ike_load
ESPGATE=$BUILD/app/espgate
CTL=$BUILD/app/espgatectl
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
WINDOW=${BENCH_WINDOW:-64}
GEN_IP=198.18.0.1 GW_IP=198.18.0.2 LAN_IP=198.18.2.1 LAN_PEER=198.18.2.2
GEN_TS=198.18.1.0/24 GW_TS=198.18.2.0/24
PSK=bench-psk-0123456789abcdef
IKE_PROP=aes128gcm16-prfsha256-x25519
ESP_PROP=aes128gcm16

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"

die() { echo "bench: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"
for p in "$IKE_UDP" "$LOAD" "$ESPGATE" "$CTL"; do
	[ -x "$p" ] || die "no $p: build first"
done
deps_need pmd net_af_packet bus_vdev mempool_ring

netns_init ikd || die "netns_init (root needed)"
trap "" PIPE
W=$NETNS_WORKDIR
NS_G="$NETNS_ID-gen" NS_GW="$NETNS_ID-gw" NS_L="$NETNS_ID-lan"
IF_G="${NETNS_ID}g" IF_W="${NETNS_ID}w" IF_P="${NETNS_ID}p" IF_L="${NETNS_ID}l"

ns_create "$NS_G" && ns_create "$NS_GW" && ns_create "$NS_L" || die "namespaces"
veth_create "$IF_G" "$NS_G" "$IF_W" "$NS_GW" || die "veth"
veth_create "$IF_P" "$NS_GW" "$IF_L" "$NS_L" || die "veth"
for x in "$NS_G $IF_G" "$NS_GW $IF_W" "$NS_GW $IF_P" "$NS_L $IF_L"; do
	# shellcheck disable=SC2086
	link_up $x || die "link"
done
ip -n "$NS_G" addr add "$GEN_IP/24" dev "$IF_G" || die "address"
ip -n "$NS_L" addr add "$LAN_PEER/24" dev "$IF_L" || die "address"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# gen LOG ARGS...: ike_load in gen on CPU 0; its result line in GEN_OUT.
gen() {
	local log=$1
	shift
	GEN_OUT=$(ip netns exec "$NS_G" taskset -c 0 "$LOAD" --local "$GEN_IP" \
		--remote "$GW_IP" --psk "$PSK" --ike "$IKE_PROP" --esp "$ESP_PROP" \
		--local-ts "$GEN_TS" --remote-ts "$GW_TS" --window "$WINDOW" "$@" 2>"$log" |
		tail -n 1)
	case $GEN_OUT in ike_load:*) ;; *)
		tail -n 5 "$log" >&2
		die "ike_load failed"
		;;
	esac
}

# rate_run NAME PID: warm-up, then BENCH_SECONDS; RATE (wall) and RATE_CPU
# (per CPU-second of PID).
rate_run() {
	local name=$1 pid=$2 c0 c1 t0 t1 cpu wall
	gen "$W/gen-$name-warmup.log" --duration "$WARMUP" --quiet
	c0=$(cpu_ticks "$pid") t0=$(now)
	gen "$W/gen-$name.log" --duration "$SECS" --quiet
	c1=$(cpu_ticks "$pid") t1=$(now)
	cpu=$(calc "($c1 - $c0) / $HZ" 2)
	wall=$(calc "$t1 - $t0" 2)
	RATE=$(kv "$GEN_OUT" setups_per_s)
	RATE_CPU=$(calc "$(kv "$GEN_OUT" setups) / ($cpu > 0 ? $cpu : 1)" 0)
	printf '%-8s %8.0f setups/s  p50 %s ms  p99 %s ms (at the generator)  failures %s  %s setups in %s s; responder %s CPU-s in %s s: %s per CPU-second\n' \
		"$name" "$RATE" "$(kv "$GEN_OUT" p50_ms)" "$(kv "$GEN_OUT" p99_ms)" \
		"$(kv "$GEN_OUT" failures)" "$(kv "$GEN_OUT" setups)" "$(kv "$GEN_OUT" seconds)" \
		"$cpu" "$wall" "$RATE_CPU"
}

# --- lib/ike alone: ike-udp in gw on CPU 1 -------------------------------
LIB_RATE=n/a LIB_RATE_CPU=n/a
if [ "${BENCH_SKIP_LIBIKE:-0}" != 1 ]; then
	ip -n "$NS_GW" addr add "$GW_IP/24" dev "$IF_W" || die "address"
	cat >"$W/ike-udp.json" <<EOF
{
  "limits": {"cookie_threshold": 0, "half_open_per_src": 0},
  "connections": [{
    "name": "bench", "local": "$GW_IP", "psk": "$PSK", "proposals": ["$IKE_PROP"],
    "children": [{"name": "bench", "local_ts": ["$GW_TS"], "remote_ts": ["$GEN_TS"],
                  "esp_proposals": ["$ESP_PROP"]}]
  }]
}
EOF
	bg_run UDP_PID /dev/null ip netns exec "$NS_GW" taskset -c 1 "$IKE_UDP" --config "$W/ike-udp.json"
	wait_for "! kill -0 $UDP_PID || nsx $NS_GW ss -Hlun | grep -q '$GW_IP:4500'" 10
	kill -0 "$UDP_PID" 2>/dev/null || die "ike-udp did not start"
	pid=$(pgrep -P "$UDP_PID" -x ike-udp || echo "$UDP_PID")
	echo "bench: lib/ike alone (ike-udp, CPU 1) <- ike_load (CPU 0), window $WINDOW, ${SECS}s"
	rate_run ike-udp "$pid"
	LIB_RATE=$RATE LIB_RATE_CPU=$RATE_CPU
	stop_pid "$UDP_PID" 5
	ip -n "$NS_GW" addr flush dev "$IF_W"
fi

# --- espgate --------------------------------------------------------------
SOCK=$W/espgate.sock
PREFIX="${NETNS_ID}-eal"
dpdk_prefix_register "$PREFIX"
cat >"$W/espgate.json" <<EOF
{
  "eal": ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "$PREFIX"],
  "lcores": {"control": 1, "workers": [0]},
  "control": {"socket": "$SOCK"},
  "log": {"level": "warning"},
  "ports": [
    {"name": "lan", "device": "net_af_packet0,iface=$IF_P,framecnt=4096", "role": "protected",
     "addresses": ["$LAN_IP/24"]},
    {"name": "wan", "device": "net_af_packet1,iface=$IF_W,framecnt=4096", "role": "unprotected",
     "addresses": ["$GW_IP/24"]}
  ],
  "routes": [{"prefix": "$GEN_TS", "via": "$GEN_IP"}],
  "ike": {"cookie_threshold": 0, "half_open_per_peer": 0, "max_child_sas": 4096},
  "connections": [{
    "name": "bench", "local": "$GW_IP", "remote": "any", "remote_id": "any", "psk": "$PSK",
    "proposals": ["$IKE_PROP"],
    "children": [{"name": "bench", "local_ts": ["$GW_TS"], "remote_ts": ["$GEN_TS"],
                  "esp_proposals": ["$ESP_PROP"]}]
  }]
}
EOF
"$ESPGATE" --check --config "$W/espgate.json" >"$W/check.log" 2>&1 || {
	cat "$W/check.log" >&2
	die "espgate --check"
}
bg_run EG_PID "$W/espgate.log" ip netns exec "$NS_GW" "$ESPGATE" --config "$W/espgate.json"
if ! wait_for "! kill -0 $EG_PID || '$CTL' --socket '$SOCK' status" 60 || ! kill -0 "$EG_PID" 2>/dev/null; then
	tail -n 20 "$W/espgate.log" >&2
	die "espgate did not start"
fi
nsx "$NS_G" ping -n -q -c 1 -w 5 "$GW_IP" >/dev/null || die "no ping $GEN_IP -> $GW_IP (espgate)"
echo "bench: espgate (control lcore 1, worker lcore 0, net_af_packet) <- ike_load (CPU 0), window $WINDOW, ${SECS}s"
rate_run espgate "$EG_PID"
EG_RATE=$RATE
"$CTL" --socket "$SOCK" --json ike_setup >"$W/setup.json" || die "espgatectl ike_setup"
"$CTL" --socket "$SOCK" ike_setup
read -r P50 P99 <<<"$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("%.3f %.3f" % (d["median_ms"], d["p99_ms"]))' "$W/setup.json")"
stop_pid "$EG_PID" 10
echo "espgate: first datagram to data-plane SA: median $P50 ms, p99 $P99 ms (the last setups, at most 16384)"
if [ "$LIB_RATE" != n/a ]; then
	echo "ratio: espgate $EG_RATE/s over ike-udp's wall rate $LIB_RATE/s: $(calc "$EG_RATE / $LIB_RATE" 2); over its rate per CPU-second $LIB_RATE_CPU: $(calc "$EG_RATE / $LIB_RATE_CPU" 2)"
fi
echo "RESULT daemon_ike_setups_per_s=$(calc "$EG_RATE" 0) install_p99_ms=$P99"
