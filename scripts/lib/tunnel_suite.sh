# shellcheck shell=bash
# The common start of the e2e suites on the branch-office topology
# (tests/e2e/tunnel.sh, tunnel100.sh, reload.sh, trap.sh): the build
# directory (the suite's first argument), the libraries, the clock the TAP
# summary reads, and the daemons' logs when a point fails. After setting
# ROOT:
#
#   source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
PY=/usr/bin/python3
HELPER=$ROOT/tests/e2e/tunnel.py
T0=$(date +%s.%N)

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping iperf3
deps_need py scapy
deps_need pmd net_af_packet bus_vdev mempool_ring
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# shellcheck source=scripts/lib/tunnel.sh
source "$ROOT/scripts/lib/tunnel.sh"
# shellcheck source=scripts/lib/tap.sh
source "$ROOT/scripts/lib/tap.sh"

show_logs() { tunnel_show_logs; }

# suite_programs [MORE...]: espgate, espgatectl, charon, swanctl (and
# MORE) are there; else says which is missing.
suite_programs() {
	local p
	for p in "$BUILD/app/espgate" "$BUILD/app/espgatectl" "$SW_CHARON" swanctl "$@"; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
}

# counters_agree: espgatectl --json sas's in/out packets and bytes of
# $TUN_CONN/$TUN_CHILD equal charon's out/in (tunnel.py counters), after
# the traffic stopped; three tries a second apart for a packet still in
# flight (an ARP refresh, a late ACK). The comparison is printed and
# noted.
counters_agree() {
	local i e l rc=1
	sleep 1
	for i in 1 2 3; do
		eg_sas_json >"$W/eg-sas.json" && sw_list_sas_json br >"$W/sw-sas.json" || return 1
		read -ra e <<<"$(rcvbuf_errs)"
		eg_ctl --json stats >"$W/eg-stats.json" || return 1
		if "$PY" "$HELPER" counters "$W/eg-sas.json" "$W/sw-sas.json" "$TUN_CONN" "$TUN_CHILD" \
			"${e[2]}" "$W/eg-stats.json" >"$W/counters.txt"; then
			rc=0
			break
		fi
		[ "$i" = 3 ] || sleep 1
	done
	cat "$W/counters.txt"
	while read -r l; do note "$l"; done <"$W/counters.txt"
	return $rc
}
