# shellcheck shell=bash
# Shared helpers for network-namespace topologies (scripts/demo.sh,
# tests/e2e/*.sh). Source it from bash; needs root.
#
#   source scripts/lib/netns.sh
#   netns_init            # unique suffix, work dir, cleanup trap
#   topo_route_create     # h1 <-> gw <-> h2 (see below)
#   ...
#
# Everything created here is named with $NETNS_ID (which includes $$) and is
# removed by netns_cleanup, which runs from an EXIT/INT/TERM trap even when
# the caller fails half-way. Every wait is bounded.
#
# Addresses: only 198.18.0.0/15, 192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24 and 2001:db8::/32 are ever used.

# shellcheck source=scripts/lib/deps.sh
source "$(dirname "${BASH_SOURCE[0]}")/deps.sh" # deps_need

NETNS_ID=""             # e.g. eg12345: prefix of every name we create
NETNS_WORKDIR=""        # private temp dir (configs, logs, sockets)
NETNS_NAMESPACES=()     # namespaces to delete
NETNS_LINKS=()          # root-namespace links to delete (if still there)
NETNS_PIDS=()           # background processes to stop
NETNS_DPDK_PREFIXES=()  # EAL --file-prefix values to remove from /var/run/dpdk
NETNS_KEEP_WORKDIR=${NETNS_KEEP_WORKDIR:-0}

# netns_log MSG...: progress on stderr (keeps stdout clean for TAP).
netns_log() { printf '%s\n' "$*" >&2; }

# netns_init [TAG]: pick unique names, make the work dir, install the trap.
netns_init() {
	local tag=${1:-eg}
	if [ "$(id -u)" -ne 0 ]; then
		netns_log "error: must run as root (network namespaces, veths)"
		return 1
	fi
	deps_need prog ip ethtool sysctl /usr/bin/python3
	NETNS_ID="${tag}$$"
	NETNS_WORKDIR=$(mktemp -d "/tmp/${NETNS_ID}.XXXXXX") || return 1
	trap 'netns_cleanup' EXIT
	trap 'netns_cleanup; trap - INT; kill -INT $$' INT
	trap 'netns_cleanup; trap - TERM; kill -TERM $$' TERM
}

# wait_for CMD TIMEOUT: run CMD (a shell string, eval'd) every 0.1 s until it
# succeeds or TIMEOUT seconds (integer or decimal) have passed.
wait_for() {
	local cmd=$1 timeout=${2:-10}
	local tries
	tries=$(awk -v t="$timeout" 'BEGIN { printf "%d", t * 10 }')
	[ "$tries" -ge 1 ] || tries=1
	while [ "$tries" -gt 0 ]; do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# wait_pid_exit PID TIMEOUT: wait (bounded) for a child of this shell to
# exit; sets WAIT_STATUS to its exit status. Returns 1 on timeout.
WAIT_STATUS=""
wait_pid_exit() {
	local pid=$1 timeout=${2:-10}
	WAIT_STATUS=""
	if ! wait_for "! kill -0 $pid" "$timeout"; then
		return 1
	fi
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034 # read by the callers
	WAIT_STATUS=$?
	return 0
}

# nsx NS CMD...: run CMD in namespace NS.
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_create NAME: create namespace NAME (already unique), loopback up.
ns_create() {
	local ns=$1
	ip netns add "$ns" || return 1
	NETNS_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
}

# offloads_off NS IF: AF_PACKET on a veth would otherwise see unfinished
# checksums and GSO super-frames.
offloads_off() {
	nsx "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || {
		netns_log "error: ethtool -K $2 (in $1) failed"
		return 1
	}
}

# veth_create IF_A NS_A IF_B NS_B: a veth pair, one end in each namespace,
# offloads off on both ends; links left down (see links_up).
veth_create() {
	local a=$1 nsa=$2 b=$3 nsb=$4
	ip link add "$a" type veth peer name "$b" || return 1
	NETNS_LINKS+=("$a" "$b")
	ip link set "$a" netns "$nsa" || return 1
	ip link set "$b" netns "$nsb" || return 1
	offloads_off "$nsa" "$a" || return 1
	offloads_off "$nsb" "$b" || return 1
}

# link_up NS IF
link_up() { ip -n "$1" link set "$2" up; }

# bg_run PIDVAR LOGFILE CMD...: start CMD in the background (stdin from
# /dev/null, stdout+stderr to LOGFILE), remember its pid for cleanup.
bg_run() {
	local __var=$1 log=$2
	shift 2
	"$@" </dev/null >"$log" 2>&1 &
	local __pid=$!
	NETNS_PIDS+=("$__pid")
	printf -v "$__var" '%s' "$__pid"
}

# dpdk_prefix_register PREFIX: remove /var/run/dpdk/PREFIX on cleanup.
dpdk_prefix_register() { NETNS_DPDK_PREFIXES+=("$1"); }

# stop_pid PID [TIMEOUT]: TERM, then KILL after TIMEOUT seconds.
stop_pid() {
	local pid=$1 timeout=${2:-5}
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! wait_for "! kill -0 $pid" "$timeout"; then
		kill -KILL "$pid" 2>/dev/null
		wait_for "! kill -0 $pid" 2
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# netns_forget_pid PID: a process stopped by the caller is not netns_cleanup's.
netns_forget_pid() {
	local i
	for i in "${!NETNS_PIDS[@]}"; do
		[ "${NETNS_PIDS[$i]}" = "$1" ] && unset 'NETNS_PIDS[i]'
	done
	NETNS_PIDS=("${NETNS_PIDS[@]}")
}

# NETNS_ON_CLEANUP: shell commands netns_cleanup runs last (a setting of
# the host's to put back, e.g. vm.nr_hugepages).
NETNS_ON_CLEANUP=()

# netns_cleanup: idempotent; safe to call from the trap at any point.
# Returns 1 when a sanitizer reported (else the status it was called with).
netns_cleanup() {
	local rc=$? pid ns l p c
	trap - EXIT
	for pid in "${NETNS_PIDS[@]}"; do
		stop_pid "$pid" 5
	done
	NETNS_PIDS=()
	# After the processes stopped: what their sanitizers said, also of
	# one no test point stopped (as TAP comments on stdout).
	if [ -n "$NETNS_WORKDIR" ] && san_reports "$NETNS_WORKDIR"/sanitizer-* | sed 's/^/# /' | grep .; then
		rc=1
	fi
	for ns in "${NETNS_NAMESPACES[@]}"; do
		# Anything else still running inside one of our namespaces.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ns in "${NETNS_NAMESPACES[@]}"; do
		wait_for "[ -z \"\$(ip netns pids $ns 2>/dev/null)\" ]" 3
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_NAMESPACES=()
	for l in "${NETNS_LINKS[@]}"; do
		ip link del "$l" >/dev/null 2>&1
	done
	NETNS_LINKS=()
	for p in "${NETNS_DPDK_PREFIXES[@]}"; do
		[ -n "$p" ] && rm -rf "/var/run/dpdk/$p"
	done
	NETNS_DPDK_PREFIXES=()
	for c in "${NETNS_ON_CLEANUP[@]}"; do
		eval "$c"
	done
	NETNS_ON_CLEANUP=()
	if [ -n "$NETNS_WORKDIR" ] && [ -d "$NETNS_WORKDIR" ]; then
		if [ "$NETNS_KEEP_WORKDIR" = 1 ]; then
			netns_log "kept work dir: $NETNS_WORKDIR"
		else
			rm -rf "$NETNS_WORKDIR"
		fi
	fi
	NETNS_WORKDIR=""
	return $rc
}

# ---------------------------------------------------------------------------
# The routing topology used by the demo and tests/e2e/route.sh:
#
#   h1 [H1_IF] ---- [GW_LAN] gw [GW_WAN] ---- [H2_IF] h2
#   198.18.1.2/24     lan: 198.18.1.1/24     wan: 198.18.2.1/24     198.18.2.2/24
#   2001:db8:1::2/64      2001:db8:1::1/64       2001:db8:2::1/64   2001:db8:2::2/64
#
# MODE=espgate: gw's veths carry no kernel addresses and no IPv6; espgate
#   runs in gw with net_af_packet ports on them.
# MODE=kernel: stand-in: gw's kernel forwards (addresses on its veths,
#   forwarding on). For developing the plumbing without espgate.

topo_route_create() {
	local mode=${1:-espgate}
	NS_H1="${NETNS_ID}-h1"
	NS_GW="${NETNS_ID}-gw"
	NS_H2="${NETNS_ID}-h2"
	H1_IF="${NETNS_ID}a"      # in h1
	GW_LAN="${NETNS_ID}b"     # in gw, towards h1
	GW_WAN="${NETNS_ID}c"     # in gw, towards h2
	H2_IF="${NETNS_ID}d"      # in h2
	H1_V4=198.18.1.2 H1_V6=2001:db8:1::2
	H2_V4=198.18.2.2 H2_V6=2001:db8:2::2
	GW_LAN_V4=198.18.1.1 GW_LAN_V6=2001:db8:1::1
	GW_WAN_V4=198.18.2.1 GW_WAN_V6=2001:db8:2::1

	ns_create "$NS_H1" && ns_create "$NS_GW" && ns_create "$NS_H2" || return 1
	veth_create "$H1_IF" "$NS_H1" "$GW_LAN" "$NS_GW" || return 1
	veth_create "$GW_WAN" "$NS_GW" "$H2_IF" "$NS_H2" || return 1

	# In espgate mode the gw ends never speak IPv6 on their own (no DAD,
	# RS or MLD from gw's kernel): disable it before the links come up.
	case $mode in
	espgate)
		nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=0 || return 1
		nsx "$NS_GW" sysctl -qw "net.ipv6.conf.$GW_LAN.disable_ipv6=1" || return 1
		nsx "$NS_GW" sysctl -qw "net.ipv6.conf.$GW_WAN.disable_ipv6=1" || return 1
		;;
	kernel)
		nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 || return 1
		nsx "$NS_GW" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
		;;
	*)
		netns_log "error: unknown topology mode '$mode'"
		return 1
		;;
	esac
	link_up "$NS_H1" "$H1_IF" && link_up "$NS_GW" "$GW_LAN" &&
		link_up "$NS_GW" "$GW_WAN" && link_up "$NS_H2" "$H2_IF" || return 1

	if [ "$mode" = kernel ]; then
		ip -n "$NS_GW" addr add "$GW_LAN_V4/24" dev "$GW_LAN" || return 1
		ip -n "$NS_GW" -6 addr add "$GW_LAN_V6/64" dev "$GW_LAN" nodad || return 1
		ip -n "$NS_GW" addr add "$GW_WAN_V4/24" dev "$GW_WAN" || return 1
		ip -n "$NS_GW" -6 addr add "$GW_WAN_V6/64" dev "$GW_WAN" nodad || return 1
	fi

	# Hosts: addresses (no DAD: usable at once) and default routes.
	ip -n "$NS_H1" addr add "$H1_V4/24" dev "$H1_IF" || return 1
	ip -n "$NS_H1" -6 addr add "$H1_V6/64" dev "$H1_IF" nodad || return 1
	ip -n "$NS_H1" route add default via "$GW_LAN_V4" || return 1
	ip -n "$NS_H1" -6 route add default via "$GW_LAN_V6" || return 1
	ip -n "$NS_H2" addr add "$H2_V4/24" dev "$H2_IF" || return 1
	ip -n "$NS_H2" -6 addr add "$H2_V6/64" dev "$H2_IF" nodad || return 1
	ip -n "$NS_H2" route add default via "$GW_WAN_V4" || return 1
	ip -n "$NS_H2" -6 route add default via "$GW_WAN_V6" || return 1
}

# topo_route_config FILE [LOG_LEVEL]: espgate's configuration for the
# routing topology (sets ESPGATE_SOCK and ESPGATE_PREFIX).
topo_route_config() {
	local file=$1 level=${2:-info}
	ESPGATE_SOCK="$NETNS_WORKDIR/espgate.sock"
	ESPGATE_PREFIX="${NETNS_ID}-eal"
	dpdk_prefix_register "$ESPGATE_PREFIX"
	cat >"$file" <<EOF
{
  "eal": ["--no-huge", "-m", "512", "--no-pci", "--file-prefix", "$ESPGATE_PREFIX"],
  "lcores": {"control": 0, "workers": [1]},
  "control": {"socket": "$ESPGATE_SOCK"},
  "log": {"level": "$level"},
  "ports": [
    {"name": "lan", "device": "net_af_packet0,iface=$GW_LAN", "role": "protected",
     "addresses": ["$GW_LAN_V4/24", "$GW_LAN_V6/64"]},
    {"name": "wan", "device": "net_af_packet1,iface=$GW_WAN", "role": "unprotected",
     "addresses": ["$GW_WAN_V4/24", "$GW_WAN_V6/64"]}
  ]
}
EOF
}

# Sanitizer reports (a build with -Db_sanitize=address,undefined, e.g.
# build-asan of scripts/test.sh): each espgate started here writes its own
# to ESPGATE_SAN_LOG.PID (log_path, after whatever ASAN_OPTIONS and
# UBSAN_OPTIONS the caller set; ike-udp likewise, scripts/lib/ike_udp.sh).
# eg_sigterm fails on a report of the espgate it stopped, netns_cleanup on
# any sanitizer-* file left in the work dir.
NETNS_SAN_N=0
ESPGATE_SAN_LOG=""

# san_reports FILE...: the sanitizer reports among FILEs (a glob's
# matches) on stdout; false when there are none.
san_reports() {
	local f found=1
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "sanitizer report $f:"
		head -n 60 "$f"
		found=0
	done
	return $found
}

# espgate_start BUILD CONFIG LOG: start espgate in gw (pid in ESPGATE_PID)
# and wait (bounded) until `espgatectl status` answers.
espgate_start() {
	local build=$1 config=$2 log=$3 timeout=${4:-30}
	NETNS_SAN_N=$((NETNS_SAN_N + 1))
	ESPGATE_SAN_LOG=$NETNS_WORKDIR/sanitizer-espgate-$NETNS_SAN_N
	bg_run ESPGATE_PID "$log" env \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$ESPGATE_SAN_LOG" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$ESPGATE_SAN_LOG" \
		ip netns exec "$NS_GW" "$build/app/espgate" --config "$config"
	wait_for "! kill -0 $ESPGATE_PID || '$build/app/espgatectl' --socket '$ESPGATE_SOCK' status" "$timeout" &&
		kill -0 "$ESPGATE_PID" 2>/dev/null &&
		"$build/app/espgatectl" --socket "$ESPGATE_SOCK" status >/dev/null 2>&1
}

# eg_sigterm: SIGTERM espgate ($ESPGATE_PID, log $EG_LOG); it exits 0
# within 10 s, and (a sanitizer build) reported nothing, leaks at exit
# included.
eg_sigterm() {
	kill -TERM "$ESPGATE_PID" || return 1
	# LeakSanitizer's scan at exit takes a few seconds more
	if ! wait_pid_exit "$ESPGATE_PID" 30; then
		echo "espgate still running 30 s after SIGTERM"
		return 1
	fi
	echo "exit status $WAIT_STATUS"
	grep -v '^EAL' "$EG_LOG" | tail -n 5
	if san_reports "$ESPGATE_SAN_LOG".*; then
		return 1
	fi
	[ "$WAIT_STATUS" -eq 0 ]
}

# eg_sigterm_clean: eg_sigterm, and espgate logged "mbufs in use at exit: 0".
eg_sigterm_clean() {
	eg_sigterm || return 1
	grep -q "mbufs in use at exit: 0$" "$EG_LOG" || {
		echo "no 'mbufs in use at exit: 0' in the log:"
		grep "mbufs in use" "$EG_LOG"
		return 1
	}
}

# json_get FILE EXPR: evaluate a Python expression over the JSON document
# `d` read from FILE ("-" for stdin); prints the result.
json_get() {
	/usr/bin/python3 -c '
import json, sys
src = sys.argv[1]
d = json.load(sys.stdin if src == "-" else open(src))
print(eval("(" + sys.argv[2] + "\n)", {"d": d}))
' "$1" "$2"
}
