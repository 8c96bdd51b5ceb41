#!/bin/bash
# lib/ike's IKEv1 (through build/tests/ike-udp) against strongSwan's charon
# 5.9 with `version = 1` (scripts/lib/strongswan.sh): main mode with a PSK
# in both roles over several proposal sets (among them 3des-sha1-modp1024,
# the legacy suite a connection names, RFC 2409 §6.2), quick mode with and without
# PFS, quick-mode KEYMAT of both directions against charon's own
# derivation (its chd level 4 log), the IV chain (RFC 2409 App. B) of
# every encrypted message ike-udp sent in both roles against charon's
# (ike level 4: its key Ka and IVs decrypt a capture), two quick modes on one ISAKMP SA, IPsec SA rekeys started by either
# side, deletes from either side, DPD (RFC 3706) with the peer killed, a
# wrong PSK; last, main mode with RSA certificates cut into fragments by
# both sides (the FRAGMENTATION vendor ID's scheme), charon restarted with
# fragment_size = 576, by charon alone with fragmentation = force
# towards an ike-udp that has them off, and aggressive mode's message 1
# in fragments (charon's force) before there is an SA. Prints TAP. Needs root.
#
#   bash tests/e2e/ikev1_strongswan.sh [BUILD_DIR]     (default: build)
#
#   sw: charon                                eg: ike-udp
#   192.0.2.1/24 + 192.0.2.31-40 [veth] ---- [veth] 192.0.2.2/24
#
# As in tests/e2e/ike_strongswan.sh: each connection has its own charon
# address (a main-mode PSK responder picks its connection by the address
# pair, RFC 2409 §5.4) and its own traffic selectors (charon 198.18.3N.0/24
# <=> ike-udp 198.18.13N.0/24). kernel-libipsec fakes a NAT, so IKE floats
# to 4500 after message 4 (RFC 3947) and the IPsec SAs are UDP-encapsulated:
# NAT traversal is exercised by every step. ike_strongswan.py compares
# ike-udp's events with `swanctl --list-sas`: SPIs and algorithms.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
IKE_UDP=$BUILD/tests/ike-udp
PY=/usr/bin/python3
HELPER=$HERE/ike_strongswan.py
T0=$(date +%s.%N)

DEPS_TAP=1
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
	"m1 31 aes128-sha1-modp2048 aes128-sha1 AES_CBC 128 HMAC_SHA1_96 MODP_2048"
	"m2 32 aes256-sha256-modp3072 aes256-sha256 AES_CBC 256 HMAC_SHA2_256_128 MODP_3072"
	"m3 33 aes256-sha384-ecp384 aes128gcm16 AES_GCM_16 128 - ECP_384"
	"m4 34 aes128-sha256-x25519 aes256-sha512 AES_CBC 256 HMAC_SHA2_512_256 CURVE_25519"
	"m5 40 3des-sha1-modp1024 aes128-sha1 AES_CBC 128 HMAC_SHA1_96 MODP_1024"
)
OTHERS=(
	"pfs 35 aes128-sha256-ecp256 aes128-sha256-ecp256"
	"two 36 aes128-sha256-ecp256 aes128gcm16"
	"psk 37 aes128-sha256-ecp256 aes128gcm16"
	"dpd 38 aes128-sha256-ecp256 aes128gcm16"
	"fr 39 aes128-sha256-ecp256 aes128gcm16"
)
declare -A ADDR=() IKEP=() ESPP=() NUM=()
n=0
for line in "${PROPS[@]}" "${OTHERS[@]}"; do
	read -r name a ike esp _ <<<"$line"
	n=$((n + 1))
	ADDR[$name]=192.0.2.$a IKEP[$name]=$ike ESPP[$name]=$esp NUM[$name]=$n
done
declare -A IU_PSK=([psk]=not-the-right-key-0123456789)
PROP_NAMES=()
for line in "${PROPS[@]}"; do PROP_NAMES+=("${line%% *}"); done

PLAN=$((1 + 2 * ${#PROPS[@]} + 14))
echo "1..$PLAN"

show_logs() {
	if [ -n "${SW_DIR[sw]:-}" ] && [ -s "$(sw_log sw)" ]; then
		{ echo "charon log (tail):"; tail -n 25 "$(sw_log sw)"; } | diag
	fi
	if [ -n "${IU_ERR:-}" ] && [ -e "$IU_ERR" ]; then
		{ echo "ike-udp stderr (tail, $IU_TAG):"; tail -n 20 "$IU_ERR"; } | diag
		{ echo "ike-udp events (tail):"; tail -n 8 "$IU_OUT"; } | diag
	fi
}

tap_start ikev1sw "namespaces, veth, charon"
NS_SW="$NETNS_ID-sw"
NS_EG="$NETNS_ID-eg"
IF_SW="${NETNS_ID}s"
IF_EG="${NETNS_ID}e"
SWJ=$W/sw.json
IU_PID="" IU_OUT="" IU_ERR="" IU_TAG=""

# iu_conn NAME [CONN_EXTRA [CHILD_EXTRA]]: one IKEv1 connection of
# ike-udp's configuration (extras: raw JSON members).
iu_conn() {
	local name=$1 cx=${2:-} chx=${3:-} k=${NUM[$1]}
	printf '{"name": "%s", "version": 1, "local": "192.0.2.2", "remote": "%s",\n' "$name" "${ADDR[$name]}"
	printf ' "psk": "%s", "proposals": ["%s"],%s\n' "${IU_PSK[$name]:-psk-$name-0123456789abcdef}" \
		"${IKEP[$name]}" "${cx:+ $cx,}"
	printf ' "children": [{"name": "%s", "local_ts": ["198.18.%d.0/24"], "remote_ts": ["198.18.%d.0/24"],\n' \
		"$name" $((130 + k)) $((30 + k))
	printf '   "esp_proposals": ["%s"]%s}' "${ESPP[$name]}" "${chx:+, $chx}"
	if [ "$name" = two ]; then
		printf ',\n  {"name": "two-b", "local_ts": ["198.18.%d.0/24"], "remote_ts": ["198.18.%d.0/24"],\n' \
			$((140 + k)) $((40 + k))
		printf '   "esp_proposals": ["%s"]}' "${ESPP[$name]}"
	fi
	printf ']}'
}

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

# established NAME ENCR BITS INTEG [IKE_DH [CHILD_DH]]: one ISAKMP SA and
# one IPsec SA pair on each side, SPIs and algorithms agreeing.
established() {
	local name=$1
	shift
	until_true "len(sw('$name')) == 1 and sw('$name')[0]['state'] == 'ESTABLISHED' and len(inst('$name')) == 1 and len(ikes('$name')) == 1 and len(kids('$name')) == 1 and all(c['state'] == 'INSTALLED' for c in sw('$name')[0]['children'])" 15 ||
		return 1
	"$PY" "$HELPER" match "$IU_OUT" "$SWJ" "$name" "$@"
}

sw_gone() { until_true "not sw('$1')" "${2:-10}"; }

LOG_MARK=0
log_mark() { LOG_MARK=$(wc -l <"$(sw_log sw)"); }
log_since() { tail -n +$((LOG_MARK + 1)) "$(sw_log sw)"; }

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

# 1: topology, charon, connections
SW_RETRANSMIT_TRIES=2 SW_RETRANSMIT_TIMEOUT=1 SW_RETRANSMIT_BASE=1.5
# charon keeps a rekeyed IKEv1 IPsec SA until it expires unless told to
# delete it (strongswan.conf delete_rekeyed): the delete is what we test
SW_CHARON_EXTRA="  delete_rekeyed = yes"
# chd 4: charon logs the quick-mode keys it derives (point 7 compares
# them); ike 4: its phase 1 encryption keys and IVs (point 8 uses them)
SW_LOG_LEVELS="default=1 ike=4 cfg=1 knl=1 net=1 chd=4"
export SW_RETRANSMIT_TRIES SW_LOG_LEVELS SW_RETRANSMIT_TIMEOUT SW_RETRANSMIT_BASE SW_CHARON_EXTRA
setup() {
	local p name
	for p in "$IKE_UDP" "$SW_CHARON" swanctl ss tcpdump; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
	ns_create "$NS_SW" && ns_create "$NS_EG" || return 1
	veth_create "$IF_SW" "$NS_SW" "$IF_EG" "$NS_EG" || return 1
	link_up "$NS_SW" "$IF_SW" && link_up "$NS_EG" "$IF_EG" || return 1
	ip -n "$NS_SW" addr add 192.0.2.1/24 dev "$IF_SW" || return 1
	for name in "${!ADDR[@]}"; do
		ip -n "$NS_SW" addr add "${ADDR[$name]}/24" dev "$IF_SW" || return 1
		ip -n "$NS_SW" addr add "198.18.$((30 + NUM[$name])).1/32" dev lo || return 1
	done
	# kernel-libipsec routes the second child of "two" from its own net
	ip -n "$NS_SW" addr add "198.18.$((40 + NUM[two])).1/32" dev lo || return 1
	ip -n "$NS_EG" addr add 192.0.2.2/24 dev "$IF_EG" || return 1
	nsx "$NS_SW" ping -n -q -c 1 -w 5 192.0.2.2 || return 1
	# what ike-udp sends, for the IV chain's check
	bg_run CAP_PID "$W/cap.err" ip netns exec "$NS_EG" tcpdump -n -U --immediate-mode -i "$IF_EG" \
		-w "$W/eg.pcap" 'udp port 500 or udp port 4500' || return 1
	wait_for "grep -q 'listening on' '$W/cap.err'" 5 || { echo "tcpdump did not start"; cat "$W/cap.err"; return 1; }
	sw_setup sw "$NS_SW" && sw_start sw 10 || return 1
	for name in "${!ADDR[@]}"; do
		local k=${NUM[$name]}
		local -a extra=()
		[ "$name" = dpd ] && extra=(dpd_delay=2s)
		# a main-mode PSK is found by the addresses (RFC 2409 §5.4):
		# charon's secrets name them as the IDs
		sw_conn sw "$name" version=1 local_addrs="${ADDR[$name]}" remote_addrs=192.0.2.2 \
			local_id="${ADDR[$name]}" remote_id=192.0.2.2 \
			psk="psk-$name-0123456789abcdef" proposals="${IKEP[$name]}" \
			esp_proposals="${ESPP[$name]}" \
			local_ts="198.18.$((30 + k)).0/24" remote_ts="198.18.$((130 + k)).0/24" \
			mode=tunnel start_action=none "${extra[@]}" || return 1
		if [ "$name" = two ]; then
			sw_child sw two two-b local_ts="198.18.$((40 + k)).0/24" \
				remote_ts="198.18.$((140 + k)).0/24" esp_proposals="${ESPP[$name]}" \
				mode=tunnel start_action=none || return 1
		fi
	done
	sw_load sw
}
check "namespaces sw/eg, veth 192.0.2.1 <-> 192.0.2.2, charon up, ${#ADDR[@]} IKEv1 connections loaded" setup ||
	FATAL="setup failed"

# 2: proposals, charon initiates main mode (one ike-udp responder for all)
RESP_CFG=$W/resp.json
[ -z "$FATAL" ] && iu_config "$RESP_CFG" "${PROP_NAMES[@]}" psk
[ -z "$FATAL" ] && { IU_ARGS=--print-keys iu_start resp "$RESP_CFG" >"$LOG_T" 2>&1 || FATAL="ike-udp did not start"; }
sw_init_est() {
	local name=$1
	shift
	sw_initiate sw "$name" 10 || return 1
	established "$name" "$@"
}
for line in "${PROPS[@]}"; do
	read -r name _ ike esp encr bits integ dh <<<"$line"
	check "$name: charon initiates IKEv1 main mode $ike / $esp: ESTABLISHED + INSTALLED, ike-udp ike_up + child_up, SPIs and $encr/$bits/$integ agree" \
		sw_init_est "$name" "$encr" "$bits" "$integ" "$dh" -
done

# KEYMAT (RFC 2409 §5.5) of each of those quick modes, both directions,
# against charon's own derivation (its chd level 4 log)
keymat_agree() { "$PY" "$HELPER" keymat "$IU_OUT" - "$(sw_log sw)" "${PROP_NAMES[@]}"; }
check "quick-mode KEYMAT of ${PROP_NAMES[*]}: ike-udp's keys of both directions equal those charon derived (log level 4)" keymat_agree

# 3: wrong PSK, charon initiates
psk_sw() {
	log_mark
	if sw_initiate sw psk 10; then
		echo "charon's initiation succeeded"
		return 1
	fi
	grep 'does not decrypt or verify' "$IU_ERR" || { echo "ike-udp did not log it"; return 1; }
	sw_gone psk 5 || return 1
	[ "$(ev "len(evs('ike_up', 'psk')) + len(evs('child_up', 'psk'))")" = 0 ] ||
		{ echo "ike-udp reported an SA for psk"; return 1; }
}
check "psk: charon initiates main mode with a PSK ike-udp does not share: refused, no SA on either side" psk_sw
[ -z "$FATAL" ] && iu_reset

# 4: proposals, ike-udp initiates (all at once)
INIT_CFG=$W/init.json
if [ -z "$FATAL" ]; then
	iu_config "$INIT_CFG" "${PROP_NAMES[@]}"
	iu_start init "$INIT_CFG" "${PROP_NAMES[@]}" >"$LOG_T" 2>&1 || FATAL="ike-udp did not start"
fi
for line in "${PROPS[@]}"; do
	read -r name _ ike esp encr bits integ dh <<<"$line"
	check "$name: ike-udp initiates IKEv1 main mode $ike / $esp: ESTABLISHED + INSTALLED on charon, ike_up + child_up, SPIs and $encr/$bits/$integ agree" \
		established "$name" "$encr" "$bits" "$integ" "$dh" -
done
[ -z "$FATAL" ] && iu_reset

# The IV chain (RFC 2409 App. B) of the exchanges of points 2 and 4
# against charon's: each encrypted message ike-udp sent as responder
# (main mode 6, quick mode 2) and as initiator (main mode 5, quick mode 1
# and 3) and the deletes of both resets decrypts under charon's key and
# its IV for the message ID
ivchain_agree() {
	local name specs=()
	for name in "${PROP_NAMES[@]}"; do
		case ${IKEP[$name]} in 3des*) specs+=("$name:${ADDR[$name]}:3des") ;; *) specs+=("$name:${ADDR[$name]}:aes") ;; esac
	done
	sleep 0.3 # tcpdump -U writes each packet; let the last one land
	"$PY" "$HELPER" ivchain "$W/eg.pcap" "$(sw_log sw)" 192.0.2.2 2 "${specs[@]}"
}
check "IV chain of ${PROP_NAMES[*]}: every encrypted message ike-udp sent (both roles, deletes) decrypts under the IV charon computed for its message ID (log level 4)" ivchain_agree

# 5: PFS in quick mode, both roles
pfs() {
	local who=$1
	iu_config "$W/pfs.json" pfs || return 1
	if [ "$who" = charon ]; then
		iu_start pfs "$W/pfs.json" && sw_initiate sw pfs 10 || return 1
	else
		iu_start pfs "$W/pfs.json" pfs || return 1
	fi
	established pfs AES_CBC 128 HMAC_SHA2_256_128 ECP_256 ECP_256
}
check "pfs: charon initiates, quick mode with a KE (PFS ecp256): both sides agree on the group and the SPIs" pfs charon
[ -z "$FATAL" ] && iu_reset
check "pfs: ike-udp initiates, quick mode with a KE (PFS ecp256): both sides agree on the group and the SPIs" pfs ike-udp
[ -z "$FATAL" ] && iu_reset

# 6: two quick modes on one ISAKMP SA
two() {
	iu_config "$W/two.json" two && iu_start two "$W/two.json" two || return 1
	until_true "len(sw('two')) == 1 and len(sw('two')[0]['children']) == 2 and all(c['state'] == 'INSTALLED' for c in sw('two')[0]['children']) and len(kids('two')) == 2 and len(ikes('two')) == 1" 15
}
check "two: ike-udp initiates one ISAKMP SA and two quick modes (two children): two IPsec SA pairs installed on both sides" two
[ -z "$FATAL" ] && iu_reset

# 7: IPsec SA rekey, charon starts it (new quick mode, old pair deleted)
rekey_sw() {
	local old
	iu_config "$W/rk.json" m1 && iu_start rk "$W/rk.json" m1 || return 1
	established m1 AES_CBC 128 HMAC_SHA1_96 MODP_2048 - || return 1
	old=$(ev "kids('m1')[0]['spi_in']")
	sw_rekey_child sw m1 || return 1
	until_true "len(kids('m1')) == 1 and kids('m1')[0]['spi_in'] != '$old' and len(sw('m1')) == 1 and len(sw('m1')[0]['children']) == 1" 15 || return 1
	"$PY" "$HELPER" match "$IU_OUT" "$SWJ" m1 AES_CBC 128 HMAC_SHA1_96 MODP_2048 -
}
check "m1: charon rekeys the IPsec SA (a new quick mode): one new pair on each side, the old one deleted" rekey_sw

# 8: delete from charon's side
del_sw() {
	sw_terminate_ike sw m1 || return 1
	until_true "not sw('m1') and not ikes('m1') and not kids('m1')" 10
}
check "m1: charon deletes the ISAKMP SA: ike-udp reports the IPsec SAs and the ISAKMP SA down" del_sw
[ -z "$FATAL" ] && iu_reset

# 9: delete from ike-udp's side
del_iu() {
	iu_config "$W/del.json" m2 && iu_start del "$W/del.json" m2 || return 1
	established m2 AES_CBC 256 HMAC_SHA2_256_128 MODP_3072 - || return 1
	kill -USR1 "$IU_PID"
	sw_gone m2 10
}
check "m2: ike-udp deletes (informational DELETE of the IPsec and ISAKMP SAs): charon removes both" del_iu
[ -z "$FATAL" ] && iu_reset

# 10: DPD, charon killed
dpd_iu() {
	iu_config "$W/dpd.json" 'dpd|"dpd": 2, "dpd_timeout": 6' && iu_start dpd "$W/dpd.json" dpd || return 1
	established dpd AES_GCM_16 128 - ECP_256 - || return 1
	sleep 1
	sw_kill sw
	wait_for "[ \"\$(ev \"len(evs('ike_down', 'dpd'))\")\" != 0 ]" 20 || { echo "no ike_down within 20 s"; return 1; }
	ev "evs('ike_down', 'dpd')[0]['reason']" | grep 'R-U-THERE'
}
check "dpd: charon killed, ike-udp's R-U-THERE (RFC 3706; dpd 2 s, timeout 6 s) goes unanswered: ike_down" dpd_iu
iu_stop TERM

# 11: fragments (strongSwan's and Cisco's scheme, negotiated by the
# FRAGMENTATION vendor ID): main mode with RSA-3072 certificates (the PKI
# of tests/unit/certs/make.sh; messages 5 and 6 carry them), charon again
# with fragment_size = 576 and fragmentation = yes (it cuts only for a
# peer that sent the vendor ID), ike-udp "fragment_size": 576.
PKI=$W/pki
frag_boot() {
	mkdir -p "$PKI" || return 1
	sh "$ROOT/tests/unit/certs/make.sh" "$PKI" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; return 1; }
	sw_stop sw
	SW_CHARON_EXTRA="  fragment_size = 576" sw_setup sw "$NS_SW" || return 1
	cp "$PKI/ca.pem" "$PKI/int.pem" "$(sw_dir sw)/swanctl/x509ca/" || return 1
	sw_start sw 10 || return 1
	sw_fr_conn yes
}
sw_fr_conn() { # charon's fragmentation = yes|force [more of the connection]
	local how=$1
	shift
	sw_conn sw fr version=1 local_addrs="${ADDR[fr]}" remote_addrs=192.0.2.2 \
		auth=pubkey local_certs="$PKI/rsa.pem" private_key="$PKI/rsa.key" \
		local_id=rsa.example.org remote_id=rsa.example.org fragmentation="$how" \
		proposals="${IKEP[fr]}" esp_proposals="${ESPP[fr]}" \
		local_ts="198.18.$((30 + NUM[fr])).0/24" remote_ts="198.18.$((130 + NUM[fr])).0/24" \
		mode=tunnel start_action=none "$@" || return 1
	sw_load sw >/dev/null
}
if [ -z "$FATAL" ]; then
	frag_boot >"$LOG_T" 2>&1 || { FATAL="charon restart with fragment_size failed"; diag <"$LOG_T"; }
fi
FR_CX='"fragment_size": 576, "local_id": "rsa.example.org", "remote_id": "rsa.example.org"'
FR_CX+=", \"cert\": \"$PKI/rsa-chain.pem\", \"key\": \"$PKI/rsa.key\", \"cacert\": \"$PKI/ca.pem\""
frag_up() { # ROLE: who initiates (sw|iu)
	local role=$1 split recv sizes big
	iu_config "$W/fr-$role.json" "fr|$FR_CX" || return 1
	log_mark
	if [ "$role" = sw ]; then
		iu_start "fr-$role" "$W/fr-$role.json" && sw_initiate sw fr 10 || return 1
	else
		iu_start "fr-$role" "$W/fr-$role.json" fr || return 1
	fi
	established fr AES_GCM_16 128 - ECP_256 - || return 1
	# charon cut its message 5 or 6 and put ike-udp's together
	split=$(log_since | grep -E 'splitting IKE message \([0-9]+ bytes\) into [0-9]+ fragments' | tail -1)
	recv=$(log_since | grep -E 'received fragment #[0-9]+, reassembled fragmented IKE message' | tail -1)
	note "charon: $(echo "$split" | grep -oE 'splitting.*')"
	note "charon: $(echo "$recv" | grep -oE 'received fragment.*')"
	note "ike-udp: $(grep -oE 'phase 1 message of [0-9]+ bytes in [0-9]+ fragments' "$IU_ERR" | tail -1)"
	log_since | grep -E 'received FRAGMENTATION vendor ID' >/dev/null ||
		{ echo "charon did not see ike-udp's vendor ID"; return 1; }
	[ -n "$split" ] || { echo "charon did not cut its message"; return 1; }
	[ -n "$recv" ] || { echo "charon did not reassemble ike-udp's"; return 1; }
	log_since | grep -E 'received fragment #[0-9]+, waiting for complete IKE message' >/dev/null ||
		{ echo "charon logged no fragment that waits for the others"; return 1; }
	grep -E 'phase 1 message of [0-9]+ bytes in [0-9]+ fragments' "$IU_ERR" >/dev/null ||
		{ echo "ike-udp did not cut its message"; return 1; }
	# every datagram from ike-udp within 576 bytes of IP (548 of UDP
	# payload); charon logs the message it reassembled as one more
	sizes=$(log_since | awk '/reassembled fragmented IKE message/ { whole = 1; next }
		/received packet: from 192\.0\.2\.2\[/ { if (!whole) { sub(/.*\(/, ""); print $1 + 0 } }
		{ whole = 0 }' | sort -n | tail -1)
	big=$(log_since | grep -oE 'sending packet: from [^ ]+ to 192\.0\.2\.2\[[0-9]+\] \([0-9]+ bytes\)' |
		grep -oE '[0-9]+ bytes' | grep -oE '[0-9]+' | sort -n | tail -1)
	note "largest datagrams: ike-udp $sizes bytes, charon $big bytes (UDP payload)"
	[ -n "$sizes" ] && [ "$sizes" -le 548 ] || { echo "ike-udp sent a datagram of $sizes bytes"; return 1; }
	[ -n "$big" ] && [ "$big" -le 548 ] || { echo "charon sent a datagram of $big bytes"; return 1; }
}
check "fr: charon initiates main mode with RSA-3072 certificates, fragment_size 576 both sides: charon cuts message 5, reassembles ike-udp's 6, SAs up and agree" frag_up sw
[ -z "$FATAL" ] && iu_reset
check "fr: ike-udp initiates main mode with RSA-3072 certificates, fragment_size 576 both sides: ike-udp cuts message 5, charon reassembles it and cuts 6, SAs up and agree" frag_up iu
[ -z "$FATAL" ] && iu_reset

# charon with fragmentation = force cuts whatever the peer said; an
# ike-udp with "fragmentation": false sends no vendor ID, so cuts nothing
# (its message 5 goes whole, in IP fragments), yet takes charon's.
frag_force() {
	sw_fr_conn force || return 1
	iu_config "$W/fr-force.json" "fr|$FR_CX, \"fragmentation\": false" || return 1
	log_mark
	iu_start fr-force "$W/fr-force.json" fr || return 1
	established fr AES_GCM_16 128 - ECP_256 - || return 1
	log_since | grep -E 'splitting IKE message \([0-9]+ bytes\) into [0-9]+ fragments' >/dev/null ||
		{ echo "charon did not cut its message 6"; return 1; }
	! log_since | grep -E 'received FRAGMENTATION vendor ID' >/dev/null ||
		{ echo "ike-udp sent the vendor ID"; return 1; }
	! log_since | grep -E 'received fragment' >/dev/null ||
		{ echo "charon received fragments from ike-udp"; return 1; }
	! grep -E 'in [0-9]+ fragments' "$IU_ERR" || { echo "ike-udp cut a message"; return 1; }
}
check "fr: charon fragmentation = force, ike-udp \"fragmentation\": false initiates: no vendor ID, ike-udp cuts nothing, takes charon's fragments, SAs up" frag_force
[ -z "$FATAL" ] && iu_reset

# force also cuts a first message: aggressive mode's message 1 with a
# modp4096 KE (about 800 bytes) goes in fragments before there is an SA
# or a responder cookie; ike-udp puts it together apart and answers.
frag_first() {
	IKEP[fr]=aes128-sha256-modp4096
	sw_fr_conn force aggressive=yes || return 1
	iu_config "$W/fr-first.json" "fr|$FR_CX, \"aggressive\": true" || return 1
	log_mark
	iu_start fr-first "$W/fr-first.json" || return 1
	sw_initiate sw fr 10 || return 1
	established fr AES_GCM_16 128 - MODP_4096 - || return 1
	log_since | grep -A2 'generating AGGRESSIVE request 0' | grep -E 'splitting IKE message \([0-9]+ bytes\) into [0-9]+ fragments' ||
		{ echo "charon did not cut its message 1"; return 1; }
}
check "fr: charon fragmentation = force initiates aggressive mode with modp4096: its message 1 in fragments, ike-udp reassembles it without an SA and answers, SAs up" frag_first
iu_stop TERM

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
