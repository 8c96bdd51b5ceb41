#!/bin/bash
# On-demand tunnels: espgate's connection has "start": "trap"; traffic from
# the server to the branch brings the tunnel up, and the packets that
# triggered it are held and delivered, not dropped. Prints TAP. Needs root.
#
#   bash tests/e2e/trap.sh [BUILD_DIR]      (default: build)
#
#   host 198.18.1.2 -- br: charon 198.18.1.1 | 203.0.113.2 -- gw: espgate 203.0.113.1 | 198.18.2.1 -- srv 198.18.2.2
#
# (topology: scripts/lib/tunnel.sh). charon only responds.
#  1  set up: espgate with the trap connection, charon with its connection
#  2  no traffic, no tunnel: 3 s later neither side has an IKE SA, and
#     espgatectl sas lists the trap with nothing held
#  3  srv pings host once (-c 1): the one echo request is held, espgate
#     initiates (the IKE SA is espgate's, as initiator) and the reply comes
#     back: the first packet is not lost
#  4  the counters say so: trapped >= 1, trap_initiations 1, trap_released
#     >= 1, no trap drops; SPIs equal charon's
#  5  espgatectl terminate: the SAs go, the trap stays; the next ping brings
#     the tunnel up again (trap_initiations 2)
#  6  charon stopped (tunnel deleted first): 40 UDP datagrams in 0.4 s are
#     held up to the bound (32; 8 trap_hold_full), then dropped as
#     trap_expired after 10 s; nothing is left held
#  7  reload with start "none": the trap leaves the data plane; the packets
#     it held are dropped and counted (trap_failed: the reload ended the
#     initiation, or trap_not_covered)
#  8  SIGTERM: espgate exits 0 and logs "mbufs in use at exit: 0"

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=8
echo "1..$PLAN"

tap_start egtrap "namespaces, espgate and charon set up"
EG_LOG=$W/espgate.log
TUN_START="trap"

# eg_stat EXPR: a Python expression over `d` = `espgatectl --json stats`.
eg_stat() {
	local j
	j=$(eg_ctl --json stats) || return 1
	printf '%s' "$j" | json_get - "$1"
}
# ctr NAME: a control-lcore counter (drops too); wctr NAME: a worker counter, summed.
ctr() { eg_stat "d['control'].get('$1', d['control']['drops'].get('$1'))"; }
wctr() { eg_stat "sum(w['$1'] for w in d['workers'])"; }
ctr_is() { [ "$(ctr "$1")" = "$2" ]; }

# 1
setup() {
	suite_programs || return 1
	tunnel_topo_create || return 1
	TUN_EG_REMOTE=$BR_WAN_V4
	tunnel_espgate_config "$W/espgate.json" debug || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	tunnel_sw_prepare && tunnel_sw_start || return 1
	grep -q "1 trap connections" "$EG_LOG" || { echo "espgate did not install the trap"; return 1; }
}
check "espgate with connection \"$TUN_CONN\" start \"trap\" (remote charon), charon with its connection loaded" setup ||
	FATAL="setup failed"

# 2
idle() {
	sleep 3
	[ "$(eg_json "len(d['ike_sas'])")" = 0 ] || { echo "espgate has an IKE SA"; return 1; }
	[ "$(sw_json br "len(d)")" = 0 ] || { echo "charon has an IKE SA"; return 1; }
	[ "$(eg_json "[(t['conn'], t['held'], t['initiating']) for t in d['traps']]")" = "[('$TUN_CONN', 0, False)]" ] || {
		eg_sas_json
		return 1
	}
	ctr_is trap_initiations 0
}
check "no traffic, no tunnel: no IKE SA on either side after 3 s; the trap is listed with nothing held" idle

# 3
first_packet() {
	local t0 took
	t0=$(date +%s.%N)
	nsx "$NS_SRV" ping -n -c 1 -W 10 "$HOST_V4" || return 1
	took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	note "the first echo request, held while the tunnel came up, answered after $took s"
	[ "$(eg_json "[s['initiator'] for s in d['ike_sas'] if s['conn'] == '$TUN_CONN']")" = "[True]" ] || {
		echo "espgate is not the initiator of exactly one IKE SA"
		eg_sas_json
		return 1
	}
	wait_for tunnel_eg_up 5
}
check "srv pings host once: the echo request is held, espgate initiates, the reply comes back (no first packet lost)" \
	first_packet || FATAL="no tunnel"

# 4
counted() {
	local eg sw c
	for c in trapped trap_initiations trap_released trap_hold_full trap_expired trap_failed trap_not_covered; do
		if [ "$c" = trapped ]; then printf '%s=%s ' "$c" "$(wctr trapped)"; else printf '%s=%s ' "$c" "$(ctr "$c")"; fi
	done
	echo
	[ "$(wctr trapped)" -ge 1 ] && ctr_is trap_initiations 1 && [ "$(ctr trap_released)" -ge 1 ] || return 1
	for c in trap_hold_full trap_expired trap_failed trap_not_covered; do
		ctr_is "$c" 0 || { echo "$c is not 0"; return 1; }
	done
	eg=$(eg_json "[(c['spi_in'], c['spi_out']) for c in d['child_sas']]") || return 1
	sw=$(sw_json br "[(c['spi-out'], c['spi-in']) for s in d for c in s['children'] if c['state'] == 'INSTALLED']") || return 1
	echo "espgate (in, out): $eg; charon (out, in): $sw"
	[ "$eg" = "$sw" ] && [ "$eg" != "[]" ]
}
check "counters: trapped >= 1, trap_initiations 1, trap_released >= 1, no trap drops; Child SA SPIs as charon's" counted

# 5
again() {
	eg_ctl terminate "$TUN_CONN" || return 1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas']) + len(d['child_sas'])\")\" = 0 ]" 10 || {
		echo "the SAs did not go"
		return 1
	}
	wait_for "[ \"\$(sw_json br 'len(d)')\" = 0 ]" 10 || { echo "charon kept its IKE SA"; return 1; }
	nsx "$NS_SRV" ping -n -c 1 -W 10 "$HOST_V4" || return 1
	ctr_is trap_initiations 2
}
check "espgatectl terminate: SAs gone, the trap stays; the next ping brings the tunnel up again" again

# 6
bounded() {
	local held
	eg_ctl terminate "$TUN_CONN" >/dev/null || return 1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || return 1
	sw_stop br || return 1
	# shellcheck disable=SC2016 # expanded by the inner bash
	nsx "$NS_SRV" bash -c 'for i in $(seq 1 40); do echo "trap $i" >"/dev/udp/$1/9"; sleep 0.01; done' \
		_ "$HOST_V4" || return 1
	wait_for "[ \"\$(eg_json \"[t['held'] for t in d['traps']]\")\" = '[32]' ]" 3 || {
		echo "not 32 held"
		eg_sas_json
		return 1
	}
	ctr_is trap_hold_full 8 || { echo "trap_hold_full $(ctr trap_hold_full), want 8"; return 1; }
	wait_for "ctr_is trap_expired 32" 14 || { echo "trap_expired $(ctr trap_expired), want 32"; return 1; }
	held=$(eg_json "[t['held'] for t in d['traps']]")
	echo "held after expiry: $held"
	[ "$held" = "[0]" ]
}
check "peer gone: 40 datagrams hold 32 (8 trap_hold_full), all 32 trap_expired after 10 s, none left" bounded

# 7
untrapped() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	nsx "$NS_SRV" bash -c 'for i in 1 2 3 4 5; do echo "held $i" >"/dev/udp/$1/9"; done' _ "$HOST_V4" ||
		return 1
	wait_for "[ \"\$(eg_json \"[t['held'] for t in d['traps']]\")\" = '[5]' ]" 3 || {
		echo "not 5 held"
		eg_sas_json
		return 1
	}
	TUN_START="none" tunnel_espgate_config "$W/espgate.json" debug || return 1
	eg_ctl --json reload || return 1
	[ "$(eg_json "d['traps']")" = "[]" ] || { echo "the trap is still listed"; return 1; }
	# The reload ends the initiation under way (trap_failed) or the trap
	# itself (trap_not_covered): either way each held packet is counted.
	[ "$(eg_stat "d['control']['drops']['trap_failed'] + d['control']['drops']['trap_not_covered']")" = 5 ] || {
		echo "trap_failed $(ctr trap_failed) + trap_not_covered $(ctr trap_not_covered), want 5"
		return 1
	}
}
check "reload with start \"none\": the trap is gone, its 5 held packets dropped and counted" untrapped

# 8
check "SIGTERM: espgate exits 0 and logs \"mbufs in use at exit: 0\"" eg_sigterm_clean

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
