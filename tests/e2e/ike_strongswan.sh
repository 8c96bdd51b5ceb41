#!/bin/bash
# lib/ike (through build/tests/ike-udp) against strongSwan's charon 5.9
# (scripts/lib/strongswan.sh): proposals in both roles, NO_PROPOSAL_CHOSEN,
# INVALID_KE_PAYLOAD, Child SA and IKE SA rekeys started by either side
# (with and without PFS), deletes from either side, liveness checks both
# ways, a wrong PSK and a lost IKE_SA_INIT. Prints TAP. Needs root.
#
#   bash tests/e2e/ike_strongswan.sh [BUILD_DIR]     (default: build)
#
#   sw: charon                                eg: ike-udp
#   192.0.2.1/24 + 192.0.2.11-28 [veth] ---- [veth] 192.0.2.2/24
#   198.18.1.1, 198.18.11-24.1 (lo)           198.18.2.1 (lo)
#
# Each connection has its own charon address (ike-udp, as a responder, picks
# its connection by the address pair alone) and its own traffic selectors
# (charon 198.18.1N.0/24 <=> ike-udp 198.18.2N.0/24); the names are the same
# on both sides. charon runs for the whole suite; ike-udp is started once
# per step (it initiates only at start: --initiate NAME), its stdout (JSON
# events) and stderr kept apart. tests/e2e/ike_strongswan.py compares
# ike-udp's events with `swanctl --list-sas` (sw_list_sas_json).
#
# kernel-libipsec: charon fakes NAT, so IKE floats to 4500 and the Child
# SAs are UDP-encapsulated; it has no ESN, so no ESN proposal here.
# NETNS_KEEP_WORKDIR=1 keeps configurations and logs; TAP_VERBOSE=1 shows
# every step's output as TAP diagnostics.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
IKE_UDP=$BUILD/tests/ike-udp
PY=/usr/bin/python3
HELPER=$HERE/ike_strongswan.py
T0=$(date +%s.%N)

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog nft ping
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# shellcheck source=scripts/lib/ike_udp.sh
source "$ROOT/scripts/lib/ike_udp.sh"
# shellcheck source=scripts/lib/tap.sh
source "$ROOT/scripts/lib/tap.sh"

# name  charon addr  IKE proposal  ESP proposal  | expected ESP encr/bits/integ, IKE DH
PROPS=(
	"p1 11 aes256gcm16-prfsha384-ecp384 aes256gcm16 AES_GCM_16 256 - ECP_384"
	"p2 12 aes128-sha256-modp2048 aes128-sha256 AES_CBC 128 HMAC_SHA2_256_128 MODP_2048"
	"p3 13 chacha20poly1305-prfsha256-x25519 chacha20poly1305 CHACHA20_POLY1305 * - CURVE_25519"
	"p4 14 aes256-sha512-ecp521 aes256-sha512 AES_CBC 256 HMAC_SHA2_512_256 ECP_521"
	"p5 15 aes128gcm16-prfsha256-ecp256 aes128gcm16 AES_GCM_16 128 - ECP_256"
	"p6 16 aes128-sha1-modp3072 aes128-sha1 AES_CBC 128 HMAC_SHA1_96 MODP_3072"
)
# Other connections: name addr IKE ESP (charon's; ike-udp's may differ below).
OTHERS=(
	"nop 21 aes256-sha512-modp3072 aes256-sha512"
	"invke 22 aes128-sha256-modp2048 aes128-sha256"
	"rk 23 aes256gcm16-prfsha384-ecp384 aes256gcm16"
	"pfs 24 aes256gcm16-prfsha384-ecp384 aes256gcm16-ecp256"
	"ikrk 25 aes128gcm16-prfsha256-ecp256 aes128gcm16"
	"dpd 26 aes128gcm16-prfsha256-ecp256 aes128gcm16"
	"psk 27 aes128gcm16-prfsha256-ecp256 aes128gcm16"
	"retx 28 aes128gcm16-prfsha256-ecp256 aes128gcm16"
)
declare -A ADDR=() IKEP=() ESPP=() NUM=()
n=0
for line in "${PROPS[@]}" "${OTHERS[@]}"; do
	read -r name a ike esp _ <<<"$line"
	n=$((n + 1))
	ADDR[$name]=192.0.2.$a IKEP[$name]=$ike ESPP[$name]=$esp NUM[$name]=$n
done
# ike-udp's side where it differs from charon's.
declare -A IU_IKE=([nop]=aes128gcm16-prfsha256-ecp256 [invke]=aes128-sha256-x25519-modp2048)
declare -A IU_ESP=([nop]=aes128gcm16)
declare -A IU_PSK=([psk]=not-the-right-key-0123456789)

PLAN=$((1 + 2 * ${#PROPS[@]} + 17))
echo "1..$PLAN"

show_logs() {
	if [ -n "${SW_DIR[sw]:-}" ] && [ -s "$(sw_log sw)" ]; then
		{ echo "charon log (tail):"; tail -n 20 "$(sw_log sw)"; } | diag
	fi
	if [ -n "${IU_ERR:-}" ] && [ -e "$IU_ERR" ]; then
		{ echo "ike-udp stderr (tail, $IU_TAG):"; tail -n 20 "$IU_ERR"; } | diag
		{ echo "ike-udp events (tail):"; tail -n 8 "$IU_OUT"; } | diag
	fi
}

# ---------------------------------------------------------------------------
tap_start ikesw "namespaces, veth, charon"
NS_SW="$NETNS_ID-sw"
NS_EG="$NETNS_ID-eg"
IF_SW="${NETNS_ID}s"
IF_EG="${NETNS_ID}e"
SWJ=$W/sw.json

# --- ike-udp ---------------------------------------------------------------
IU_PID="" IU_OUT="" IU_ERR="" IU_TAG=""

# iu_conn NAME [CONN_EXTRA [CHILD_EXTRA]]: one connection of ike-udp's
# configuration (extras: raw JSON members, e.g. '"dpd": 2').
iu_conn() {
	local name=$1 cx=${2:-} chx=${3:-} k=${NUM[$1]}
	printf '{"name": "%s", "local": "192.0.2.2", "remote": "%s",\n' "$name" "${ADDR[$name]}"
	printf ' "local_id": "eg-%s.example", "remote_id": "sw-%s.example",\n' "$name" "$name"
	printf ' "psk": "%s", "proposals": ["%s"],%s\n' "${IU_PSK[$name]:-psk-$name-0123456789abcdef}" \
		"${IU_IKE[$name]:-${IKEP[$name]}}" "${cx:+ $cx,}"
	printf ' "children": [{"name": "%s", "local_ts": ["198.18.%d.0/24"], "remote_ts": ["198.18.%d.0/24"],\n' \
		"$name" $((100 + k)) $((10 + k))
	printf '   "esp_proposals": ["%s"]%s}]}' "${IU_ESP[$name]:-${ESPP[$name]}}" "${chx:+, $chx}"
}

# iu_config FILE SPEC...: SPEC is NAME or NAME|CONN_EXTRA|CHILD_EXTRA.
iu_config() {
	local file=$1 spec sep="" name cx chx
	shift
	{
		echo '{"connections": ['
		for spec in "$@"; do
			IFS='|' read -r name cx chx <<<"$spec"
			printf '%s' "$sep"
			iu_conn "$name" "$cx" "$chx"
			sep=$',\n'
		done
		echo ']}'
	} >"$file"
}

# established NAME ENCR BITS INTEG [IKE_DH [CHILD_DH]]: both sides agree
# (one IKE SA, one Child SA, SPIs, algorithms).
established() {
	local name=$1
	shift
	until_true "len(sw('$name')) == 1 and sw('$name')[0]['state'] == 'ESTABLISHED' and len(inst('$name')) == 1 and len(ikes('$name')) == 1 and len(kids('$name')) == 1 and all(c['state'] == 'INSTALLED' for c in sw('$name')[0]['children'])" 15 ||
		return 1
	"$PY" "$HELPER" match "$IU_OUT" "$SWJ" "$name" "$@"
}

# sw_gone NAME [TIMEOUT]: charon has no IKE SA of NAME.
sw_gone() { until_true "not sw('$1')" "${2:-10}"; }

# log_mark / log_since: charon log lines written since the mark.
LOG_MARK=0
log_mark() { LOG_MARK=$(wc -l <"$(sw_log sw)"); }
log_since() { tail -n +$((LOG_MARK + 1)) "$(sw_log sw)"; }

# iu_reset: ike-udp deletes its IKE SAs (SIGUSR1) and stops; whatever
# charon still has is removed by force. Not a test point.
iu_reset() {
	local id
	if [ -n "$IU_PID" ] && kill -0 "$IU_PID" 2>/dev/null; then
		kill -USR1 "$IU_PID"
		until_true "not s" 5 >/dev/null
		iu_stop TERM
	fi
	IU_PID=""
	snap
	for id in $(ev "' '.join(a['uniqueid'] for a in s)" 2>/dev/null); do
		sw_swanctl sw --terminate --ike-id "$id" --force >/dev/null 2>&1
	done
	until_true "not s" 5 >/dev/null
}

# ---------------------------------------------------------------------------
# 1: topology, charon, connections
SW_RETRANSMIT_TRIES=2 SW_RETRANSMIT_TIMEOUT=1 SW_RETRANSMIT_BASE=1.5
export SW_RETRANSMIT_TRIES SW_RETRANSMIT_TIMEOUT SW_RETRANSMIT_BASE
setup() {
	local p name
	for p in "$IKE_UDP" "$SW_CHARON" swanctl nft ss; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
	ns_create "$NS_SW" && ns_create "$NS_EG" || return 1
	veth_create "$IF_SW" "$NS_SW" "$IF_EG" "$NS_EG" || return 1
	link_up "$NS_SW" "$IF_SW" && link_up "$NS_EG" "$IF_EG" || return 1
	ip -n "$NS_SW" addr add 192.0.2.1/24 dev "$IF_SW" || return 1
	# kernel-libipsec routes each policy via ipsec0 from an address of the
	# local TS: one per connection, on lo.
	for name in "${!ADDR[@]}"; do
		ip -n "$NS_SW" addr add "${ADDR[$name]}/24" dev "$IF_SW" || return 1
		ip -n "$NS_SW" addr add "198.18.$((10 + NUM[$name])).1/32" dev lo || return 1
	done
	ip -n "$NS_EG" addr add 192.0.2.2/24 dev "$IF_EG" || return 1
	ip -n "$NS_SW" addr add 198.18.1.1/32 dev lo || return 1
	ip -n "$NS_EG" addr add 198.18.2.1/32 dev lo || return 1
	nsx "$NS_SW" ping -n -q -c 1 -w 5 192.0.2.2 || return 1
	sw_setup sw "$NS_SW" && sw_start sw 10 || return 1
	for name in "${!ADDR[@]}"; do
		local k=${NUM[$name]}
		local -a extra=()
		[ "$name" = dpd ] && extra=(dpd_delay=2s)
		sw_conn sw "$name" local_addrs="${ADDR[$name]}" remote_addrs=192.0.2.2 \
			local_id="sw-$name.example" remote_id="eg-$name.example" \
			psk="psk-$name-0123456789abcdef" proposals="${IKEP[$name]}" \
			esp_proposals="${ESPP[$name]}" \
			local_ts="198.18.$((10 + k)).0/24" remote_ts="198.18.$((100 + k)).0/24" \
			mode=tunnel start_action=none mobike=no "${extra[@]}" || return 1
	done
	sw_load sw
}
check "namespaces sw/eg, veth 192.0.2.1 <-> 192.0.2.2, charon up, ${#ADDR[@]} connections loaded" setup ||
	FATAL="setup failed"

# 2: proposals, charon initiates (one ike-udp responder for all of them)
RESP_CFG=$W/resp.json
[ -z "$FATAL" ] && iu_config "$RESP_CFG" p1 p2 p3 p4 p5 p6 nop psk
[ -z "$FATAL" ] && { iu_start resp "$RESP_CFG" >"$LOG_T" 2>&1 || FATAL="ike-udp did not start"; }
sw_init_est() {
	local name=$1
	shift
	sw_initiate sw "$name" 10 || return 1
	established "$name" "$@"
}
for line in "${PROPS[@]}"; do
	read -r name _ ike esp encr bits integ dh <<<"$line"
	check "$name: charon initiates $ike / $esp: ESTABLISHED + INSTALLED, ike-udp ike_up + child_up, SPIs and $encr/$bits/$integ agree" \
		sw_init_est "$name" "$encr" "$bits" "$integ" "$dh" -
done

# 3: NO_PROPOSAL_CHOSEN, charon initiates, ike-udp has none of its proposals
nop_sw() {
	log_mark
	if sw_initiate sw nop 10; then
		echo "charon's initiation succeeded"
		return 1
	fi
	log_since | grep -E 'NO_PROP' || { echo "charon did not log NO_PROPOSAL_CHOSEN"; return 1; }
	sw_gone nop 5 || return 1
	[ "$(ev "len(evs('ike_up', 'nop')) + len(evs('child_up', 'nop'))")" = 0 ] ||
		{ echo "ike-udp reported an SA for nop"; return 1; }
}
check "nop: charon initiates, ike-udp answers NO_PROPOSAL_CHOSEN, no SA on either side" nop_sw

# 4: wrong PSK, charon initiates
psk_sw() {
	log_mark
	if sw_initiate sw psk 10; then
		echo "charon's initiation succeeded"
		return 1
	fi
	log_since | grep -E 'AUTH_FAILED|AUTHENTICATION_FAILED|authentication .* failed' ||
		{ echo "charon did not log AUTHENTICATION_FAILED"; return 1; }
	grep 'peer authentication failed' "$IU_ERR" || { echo "ike-udp did not log it"; return 1; }
	sw_gone psk 5 || return 1
	[ "$(ev "len(evs('ike_up', 'psk')) + len(evs('child_up', 'psk'))")" = 0 ] ||
		{ echo "ike-udp reported an SA for psk"; return 1; }
}
check "psk: charon initiates with a PSK ike-udp does not share: AUTHENTICATION_FAILED, no SA on either side" psk_sw
[ -z "$FATAL" ] && iu_reset

# 5: proposals, ike-udp initiates (all at once)
INIT_CFG=$W/init.json
if [ -z "$FATAL" ]; then
	iu_config "$INIT_CFG" p1 p2 p3 p4 p5 p6
	iu_start init "$INIT_CFG" p1 p2 p3 p4 p5 p6 >"$LOG_T" 2>&1 || FATAL="ike-udp did not start"
fi
for line in "${PROPS[@]}"; do
	read -r name _ ike esp encr bits integ dh <<<"$line"
	check "$name: ike-udp initiates $ike / $esp: ESTABLISHED + INSTALLED on charon, ike_up + child_up, SPIs and $encr/$bits/$integ agree" \
		established "$name" "$encr" "$bits" "$integ" "$dh" -
done
[ -z "$FATAL" ] && iu_reset

# 6: NO_PROPOSAL_CHOSEN, ike-udp initiates
nop_iu() {
	log_mark
	iu_config "$W/nop.json" nop && iu_start nop "$W/nop.json" nop || return 1
	wait_for "grep -q 'down: NO_PROPOSAL_CHOSEN' '$IU_ERR'" 10 ||
		{ echo "ike-udp did not fail with NO_PROPOSAL_CHOSEN"; cat "$IU_ERR"; return 1; }
	grep 'down:' "$IU_ERR"
	log_since | grep -E 'NO_PROP|no acceptable proposal|no proposal' ||
		{ echo "charon did not log it"; return 1; }
	sw_gone nop 5 || return 1
	[ "$(ev "len(evs('ike_up')) + len(evs('child_up'))")" = 0 ] ||
		{ echo "ike-udp reported an SA"; return 1; }
	# lib/ike tells its caller the initiation failed, and why.
	wait_for "[ \"\$(ev \"[x['reason'] for x in evs('ike_failed')]\")\" = \"['NO_PROPOSAL_CHOSEN']\" ]" 5 ||
		{ echo "no ike_failed event with reason NO_PROPOSAL_CHOSEN"; cat "$IU_OUT"; return 1; }
}
check "nop: ike-udp initiates, charon answers NO_PROPOSAL_CHOSEN, no SA on either side, ike_failed reported" nop_iu
[ -z "$FATAL" ] && iu_reset

# 7: INVALID_KE_PAYLOAD: x25519 first, charon wants MODP_2048
invke() {
	iu_config "$W/invke.json" invke && iu_start invke "$W/invke.json" invke || return 1
	established invke AES_CBC 128 HMAC_SHA2_256_128 MODP_2048 - || return 1
	grep -E 'peer asks for DH group 14' "$IU_ERR" || { echo "no INVALID_KE retry logged by ike-udp"; return 1; }
	grep -E 'IKE_SA_INIT sent' "$IU_ERR"
}
check "invke: ike-udp offers aes128-sha256-x25519-modp2048, charon only modp2048: INVALID_KE_PAYLOAD, retry, MODP_2048" invke
[ -z "$FATAL" ] && iu_reset

# 8: wrong PSK, ike-udp initiates
psk_iu() {
	log_mark
	iu_config "$W/psk.json" psk && iu_start psk "$W/psk.json" psk || return 1
	wait_for "grep -q 'down: AUTHENTICATION_FAILED' '$IU_ERR'" 10 ||
		{ echo "ike-udp did not fail with AUTHENTICATION_FAILED"; cat "$IU_ERR"; return 1; }
	log_since | grep -E 'AUTH_FAILED|MAC mismatch' || { echo "charon did not log it"; return 1; }
	sw_gone psk 5 || return 1
	[ "$(ev "len(evs('ike_up')) + len(evs('child_up'))")" = 0 ] ||
		{ echo "ike-udp reported an SA"; return 1; }
}
check "psk: ike-udp initiates with the wrong PSK: AUTHENTICATION_FAILED, no SA on either side" psk_iu
[ -z "$FATAL" ] && iu_reset

# 9: rekeys. rk: Child SA rekey every 8 s from ike-udp; pfs: the same with
# PFS (ECP_256); ikrk: IKE SA rekey after 10 s from ike-udp.
REKEY_CFG=$W/rekey.json
rekey_start() {
	iu_config "$REKEY_CFG" 'rk||"rekey": 8' 'pfs||"rekey": 8' 'ikrk|"rekey": 10' &&
		iu_start rekey "$REKEY_CFG" rk pfs ikrk || return 1
	established rk AES_GCM_16 256 - ECP_384 - && established pfs AES_GCM_16 256 - ECP_384 - &&
		established ikrk AES_GCM_16 128 - ECP_256 - || return 1
	ev "ikes('ikrk')[0]['ike_id']" >"$W/ike-ikrk"
}
check "rk, pfs, ikrk: ike-udp initiates the three connections of the rekey tests" rekey_start ||
	FATAL="rekey connections did not come up"

# child_rekeyed NAME OLD_SPI_IN TIMEOUT [CHILD_DH]: ike-udp reported a new
# Child SA and then the old one down; charon has exactly one INSTALLED Child
# SA, with the new SPIs.
child_rekeyed() {
	local name=$1 old=$2 t=$3 dh=${4:--} kid
	kid="[x for x in kids('$name') if x['spi_in'] != '$old']"
	until_true "len(kids('$name')) == 1 and len($kid) == 1 and len(inst('$name')) == 1 and inst('$name')[0]['spi-in'] == ${kid}[0]['spi_out'] and inst('$name')[0]['spi-out'] == ${kid}[0]['spi_in']" "$t" ||
		return 1
	# the new one up before the old one down
	local order
	order=$(ev "[(x['event'], x['spi_in']) for x in e if x['conn'] == '$name' and x['event'].startswith('child')]")
	echo "ike-udp child events: $order"
	# On a loaded machine the next rekey (every 8 s) may be done already:
	# the first Child SA up after the old one is its replacement.
	[ "$(ev "(lambda oup, down: bool(oup) and bool(down) and any(oup[0] < i < down[-1] for i, x in enumerate(e) if x['event'] == 'child_up' and x['conn'] == '$name' and x['spi_in'] != '$old'))([i for i, x in enumerate(e) if x['event'] == 'child_up' and x['spi_in'] == '$old'], [i for i, x in enumerate(e) if x['event'] == 'child_down' and x['spi_in'] == '$old'])")" = True ] ||
		{ echo "not child_up (new) then child_down (old)"; return 1; }
	[ "$(ev "len(ikes('$name'))")" = 1 ] || { echo "IKE SA gone"; return 1; }
	"$PY" "$HELPER" match "$IU_OUT" "$SWJ" "$name" AES_GCM_16 256 - '*' "$dh" || return 1
	note "$name: Child SA $old -> $(ev "kids('$name')[0]['spi_in']") (ike-udp in), charon dh-group $(ev "inst('$name')[0].get('dh-group', '-')")"
}

cur_kid() { snap && ev "kids('$1')[0]['spi_in']"; }

sw_rekey_child_t() {
	local name=$1 dh=${2:--} old
	old=$(cur_kid "$name") || return 1
	sw_rekey_child sw "$name" || return 1
	child_rekeyed "$name" "$old" 10 "$dh" || return 1
	# the Child SA whose rekey by ike-udp the next test waits for
	cur_kid "$name" >"$W/kid-$name"
}
check "rk: charon rekeys the Child SA: child_up (new) then child_down (old), one INSTALLED on charon with the new SPIs" \
	sw_rekey_child_t rk
check "pfs: charon rekeys the Child SA with PFS: same, charon's Child SA has dh-group ECP_256" \
	sw_rekey_child_t pfs ECP_256

iu_rekey_child_t() {
	local name=$1 dh=${2:--} old
	old=$(cat "$W/kid-$name" 2>/dev/null)
	[ -n "$old" ] || old=$(cur_kid "$name") || return 1
	child_rekeyed "$name" "$old" 12 "$dh" || return 1
	grep -i "rekeying Child SA 0x$old" "$IU_ERR" || { echo "ike-udp did not start that rekey"; return 1; }
}

# ike_rekeyed NAME OLD_IKE_ID TIMEOUT: ike-udp: ike_up (new SPIs), ike_down
# (old, reason mentions rekey), no child_down since CHILD_MARK events; charon's
# IKE SPIs are the new ones.
ike_rekeyed() {
	local name=$1 old=$2 t=$3 mark=$4 new
	new="[x for x in ikes('$name') if x['ike_id'] != $old]"
	until_true "len(ikes('$name')) == 1 and len($new) == 1 and len(sw('$name')) == 1 and sw('$name')[0]['state'] == 'ESTABLISHED' and sw('$name')[0]['initiator-spi'] == ${new}[0]['spi_i'] and sw('$name')[0]['responder-spi'] == ${new}[0]['spi_r']" "$t" ||
		return 1
	ev "[(x['event'], x['ike_id'], x['spi_i'], x['reason']) for x in e if x['conn'] == '$name' and x['event'].startswith('ike')]"
	local reason
	reason=$(ev "[x['reason'] for x in evs('ike_down', '$name') if x['ike_id'] == $old][0]")
	note "$name: IKE SA $old -> $(ev "${new}[0]['ike_id']") ($(ev "${new}[0]['spi_i']")/$(ev "${new}[0]['spi_r']")), old one down: $reason"
	# The first IKE SA up after the old one (later rekeys may have come on
	# a loaded machine) came before the old one went.
	[ "$(ev "(lambda oup, down: bool(oup) and bool(down) and any(oup[0] < i < down[0] for i, x in enumerate(e) if x['event'] == 'ike_up' and x['conn'] == '$name' and x['ike_id'] != $old))([i for i, x in enumerate(e) if x['event'] == 'ike_up' and x['ike_id'] == $old], [i for i, x in enumerate(e) if x['event'] == 'ike_down' and x['ike_id'] == $old])")" = True ] ||
		{ echo "not ike_up (new) then ike_down (old)"; return 1; }
	case $reason in
	*rekey*) ;;
	*)
		echo "old IKE SA's ike_down reason is $reason, expected one saying rekeyed"
		return 1
		;;
	esac
	# A Child SA rekey meanwhile (ike-udp's, every 8 s) brings one up before
	# its old one goes; any other child_down is a Child SA lost.
	[ "$(ev "len([x for x in e[$mark:] if x['event'] == 'child_down' and x['conn'] == '$name']) <= len([x for x in e[$mark:] if x['event'] == 'child_up' and x['conn'] == '$name'])")" = True ] ||
		{ echo "a Child SA went down"; return 1; }
	"$PY" "$HELPER" match "$IU_OUT" "$SWJ" "$name" AES_GCM_16 '*' - '*' -
}

check "rk: ike-udp rekeys the Child SA (\"rekey\": 8): child_up then child_down, charon's INSTALLED SA has the new SPIs" \
	iu_rekey_child_t rk
# rk's next Child SA rekey by ike-udp comes 7.2-8 s after the one above: charon's
# IKE SA rekey goes right after it, so that the two do not meet.
sw_rekey_ike_t() {
	local old mark
	snap
	old=$(ev "ikes('rk')[0]['ike_id']") && mark=$(ev "len(e)") || return 1
	sw_rekey_ike sw rk || return 1
	ike_rekeyed rk "$old" 10 "$mark"
}
check "rk: charon rekeys the IKE SA: ike_up (new), ike_down (old, rekeyed), Child SA kept, charon's IKE SPIs are the new ones" \
	sw_rekey_ike_t

check "pfs: ike-udp rekeys the Child SA with PFS: same, charon's Child SA has dh-group ECP_256" \
	iu_rekey_child_t pfs ECP_256

iu_rekey_ike_t() {
	local old
	old=$(cat "$W/ike-ikrk" 2>/dev/null)
	[ -n "$old" ] || return 1
	ike_rekeyed ikrk "$old" 15 0 || return 1
	grep "IKE SA $old: rekeying the IKE SA" "$IU_ERR" || { echo "ike-udp did not start it"; return 1; }
}
check "ikrk: ike-udp rekeys the IKE SA (\"rekey\": 10): ike_up (new), ike_down (old, rekeyed), Child SA kept, charon's IKE SPIs are the new ones" \
	iu_rekey_ike_t


# 10: deletes
sw_delete() {
	local id
	snap
	id=$(ev "ikes('rk')[0]['ike_id']") || return 1
	sw_terminate_ike sw rk 10 || return 1
	until_true "not sw('rk') and not ikes('rk') and not kids('rk')" 10 || return 1
	ev "[(x['event'], x.get('reason', x.get('spi_in'))) for x in e if x['conn'] == 'rk'][-2:]"
	[ "$(ev "bool([x for x in evs('ike_down', 'rk') if x['ike_id'] == $id])")" = True ] || return 1
	# the others are still there
	[ "$(ev "len(ikes()) == 2 and len(sw()) == 2")" = True ] || { echo "other SAs went too"; return 1; }
}
check "rk: charon deletes the IKE SA (sw_terminate_ike): ike-udp reports ike_down and child_down" sw_delete

iu_delete() {
	kill -USR1 "$IU_PID" || return 1
	until_true "not s and not ikes() and not kids()" 10 || return 1
	ev "[(x['event'], x['conn'], x.get('reason', x.get('spi_in'))) for x in e][-4:]"
}
check "pfs, ikrk: SIGUSR1 to ike-udp deletes its IKE SAs: none left on charon, ike_down + child_down on ike-udp" iu_delete
[ -z "$FATAL" ] && iu_reset

# 11: a lost IKE_SA_INIT (nftables in eg drops the first one)
retx() {
	local i n=0
	nsx "$NS_EG" nft add table inet ikesw && nsx "$NS_EG" nft 'add chain inet ikesw out { type filter hook output priority 0; }' &&
		nsx "$NS_EG" nft add rule inet ikesw out udp dport 500 counter drop || return 1
	iu_config "$W/retx.json" retx && iu_start retx "$W/retx.json" retx || return 1
	# delete the rule as soon as it dropped a packet (the retransmission
	# comes 1 s later)
	for i in $(seq 50); do
		n=$(nsx "$NS_EG" nft -j list chain inet ikesw out | "$PY" -c 'import json,sys; print(sum(x["counter"]["packets"] for r in json.load(sys.stdin)["nftables"] if "rule" in r for x in r["rule"]["expr"] if "counter" in x))')
		[ "$n" -ge 1 ] && break
		sleep 0.05
	done
	nsx "$NS_EG" nft delete table inet ikesw
	# Usually one; a starved poll above may also see the retransmission 1 s
	# later dropped. Either way a retransmission has to bring the SA up.
	echo "dropped: $n IKE_SA_INIT"
	[ "$n" -ge 1 ] || { echo "expected a dropped IKE_SA_INIT"; return 1; }
	established retx AES_GCM_16 128 - ECP_256 -
}
check "retx: the first IKE_SA_INIT from ike-udp is dropped, its retransmission establishes the SAs" retx
nsx "$NS_EG" nft delete table inet ikesw >/dev/null 2>&1
[ -z "$FATAL" ] && iu_reset

# 12: liveness, charon checks (dpd_delay=2s, retransmit 1 s x 1.5, 2 tries)
dpd_sw() {
	local t0 t1
	iu_config "$W/dpd-sw.json" dpd && iu_start dpdsw "$W/dpd-sw.json" dpd || return 1
	established dpd AES_GCM_16 128 - ECP_256 - || return 1
	log_mark
	iu_stop KILL
	t0=$(date +%s.%N)
	sw_gone dpd 20 || return 1
	t1=$(date +%s.%N)
	log_since | grep -E 'retransmit|giving up|deleting' | head -5
	note "charon removed the IKE SA $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s after ike-udp was killed (dpd_delay 2 s, then 1 + 1.5 + 2.25 s of retransmissions)"
}
check "dpd: ike-udp killed, charon's liveness check (dpd_delay=2s) fails and it removes the SA" dpd_sw
[ -z "$FATAL" ] && iu_reset

# 13: liveness, ike-udp checks ("dpd": 2, "dpd_timeout": 8); charon killed
dpd_iu() {
	local t0 el reason
	iu_config "$W/dpd-iu.json" 'dpd|"dpd": 2, "dpd_timeout": 8' && iu_start dpdiu "$W/dpd-iu.json" dpd || return 1
	established dpd AES_GCM_16 128 - ECP_256 - || return 1
	sleep 1
	sw_kill sw
	t0=$(date +%s%N)
	wait_for "[ \"\$(ev \"len(evs('ike_down', 'dpd'))\")\" != 0 ]" 25 || { echo "no ike_down within 25 s"; return 1; }
	el=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	reason=$(ev "evs('ike_down', 'dpd')[0]['reason']")
	note "ike-udp reported ike_down $el s after charon was killed (dpd 2 s, dpd_timeout 8 s): $reason"
	[ "$(ev "len(kids('dpd'))")" = 0 ] || { echo "Child SA not reported down"; return 1; }
	case $reason in *liveness*) ;; *) echo "reason does not mention liveness"; return 1 ;; esac
	awk -v e="$el" 'BEGIN { exit !(e <= 11) }' || { echo "took $el s, more than 8 + 3"; return 1; }
}
check "dpd: charon killed, ike-udp's liveness check (\"dpd\": 2, \"dpd_timeout\": 8) reports ike_down within 8 s + 3" dpd_iu
iu_stop TERM

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
