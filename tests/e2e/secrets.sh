#!/bin/bash
# No secret in anything espgate says (issue 16 item 6): the branch-office
# topology of tests/e2e/tunnel.sh with espgate at log level "debug" and
# charon at ike and chd level 4, where charon logs every key it derives.
# An IKEv2 tunnel and then an IKEv1 one come up, carry pings and are
# rekeyed from espgate's side; then every line espgate logged, every
# espgatectl output (text and --json) and espgate's DPDK telemetry are
# searched for the PSK and for each key charon logged (SK_*, the DH
# secret, SKEYID*, Ka, the Child SAs' keys; as hex in either case, split
# by spaces or colons, and every 8-byte stretch). Prints TAP. Needs root.
#
#   bash tests/e2e/secrets.sh [BUILD_DIR]      (default: build)

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

SW_LOG_LEVELS="default=1 ike=4 cfg=1 knl=1 net=1 chd=4"
export SW_LOG_LEVELS
HELPER_SW=$ROOT/tests/e2e/ike_strongswan.py

PLAN=6
echo "1..$PLAN"

tap_start egsec "namespaces, espgate (debug) and charon (level 4) set up"
EG_LOG=$W/espgate-v2.log
: >"$NOTES"
OUTS=()

setup() {
	suite_programs dpdk-telemetry.py || return 1
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate-v2.json" debug || return 1
	eg_start "$W/espgate-v2.json" "$EG_LOG" || return 1
	tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate in gw at log level debug; charon in br at ike/chd level 4" setup ||
	FATAL="setup failed"

eg_ike_id() { eg_json "[s['id'] for s in d['ike_sas'] if s['state'] == 'ESTABLISHED'][-1]"; }

# collect TAG: every espgatectl output and the telemetry, into files
collect() {
	local tag=$1 cmd i=0
	for cmd in "sas" "--json sas" "stats" "--json stats" "counters" "--json counters"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		eg_ctl $cmd >"$W/ctl-$tag-$i.out" 2>&1
		OUTS+=("$W/ctl-$tag-$i.out")
	done
	for cmd in /espgate/status /espgate/ports /espgate/stats; do
		i=$((i + 1))
		echo "$cmd" | timeout 10 dpdk-telemetry.py -f "$ESPGATE_PREFIX" >"$W/tel-$tag-$i.out" 2>&1
		OUTS+=("$W/tel-$tag-$i.out")
	done
	grep -q '"ike_sas"' "$W/ctl-$tag-2.out" || { echo "espgatectl --json sas gave nothing"; return 1; }
	grep -q 'espgate' "$W/tel-$tag-7.out" || { echo "no telemetry"; cat "$W/tel-$tag-7.out"; return 1; }
}

# tunnel_used TAG: up (charon initiates), pings, espgate rekeys the Child
# SA and the IKE SA, pings again; outputs collected while it is up
tunnel_used() {
	tunnel_up 20 || return 1
	ping5 "$NS_HOST" "$SRV_V4" || return 1
	eg_ctl rekey "$(eg_ike_id)" child || return 1
	sleep 2
	eg_ctl rekey "$(eg_ike_id)" || return 1
	sleep 3
	tunnel_eg_up || { eg_ctl sas; return 1; }
	ping5 "$NS_HOST" "$SRV_V4" && collect "$1"
}
check "IKEv2: charon initiates, pings, espgate rekeys the Child SA and the IKE SA, pings; espgatectl and telemetry collected" tunnel_used v2

# 3: the same over IKEv1 (espgate and charon restarted with version 1)
v1_used() {
	sw_kill br
	eg_sigterm >/dev/null || return 1
	EG_LOG=$W/espgate-v1.log
	# IKEv1's phase 1 has no AEAD (RFC 2409 App. A): CBC and HMAC
	TUN_VERSION=1 TUN_IKE_PROPOSAL=aes128-sha256-modp2048 TUN_ESP_PROPOSAL=aes128-sha256
	tunnel_espgate_config "$W/espgate-v1.json" debug || return 1
	eg_start "$W/espgate-v1.json" "$EG_LOG" || return 1
	SW_CHARON_EXTRA="  delete_rekeyed = yes" tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
	tunnel_used v1
}
check "IKEv1: the same with espgate and charon on version 1 (main mode, quick mode rekey, new ISAKMP SA)" v1_used

# 4: espgate's logs hold debug lines of both exchanges
logs_verbose() {
	grep -c "" "$W/espgate-v2.log" "$W/espgate-v1.log"
	grep -q "IKEv1 main mode established" "$W/espgate-v1.log" &&
		grep -qE "IKE SA [0-9]+ .*established" "$W/espgate-v2.log"
}
check "espgate logged both exchanges (log level debug)" logs_verbose

# 5: the search
no_secret() {
	eg_sigterm >/dev/null
	"$PY" "$HELPER_SW" secrets "$(sw_log br)" "$TUN_PSK" "$W/espgate-v2.log" "$W/espgate-v1.log" "${OUTS[@]}"
}
check "no key charon derived and not the PSK in espgate's logs, espgatectl's outputs or its telemetry" no_secret

# 6: the search itself finds a key where one is
search_finds() {
	local f=$W/planted.out k
	k=$(grep -i -m1 -A1 "SK_ei secret" "$(sw_log br)" | tail -n 1 | grep -oE '([0-9A-F]{2} ){7}[0-9A-F]{2}' | head -n 1 | tr -d ' ')
	[ -n "$k" ] || { echo "no SK_ei in charon's log"; return 1; }
	echo "a log line with ${k,,} in it" >"$f"
	! "$PY" "$HELPER_SW" secrets "$(sw_log br)" "$TUN_PSK" "$f" >/dev/null
}
check "control: a file with 8 bytes of charon's SK_ei in it is caught" search_finds

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
