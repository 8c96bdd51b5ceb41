#!/bin/bash
# lib/ike (build/tests/ike-udp) against strongSwan's charon, second suite:
# certificates (RSA-3072, ECDSA P-256/P-384, Ed25519) in both roles,
# fragmented IKE_AUTH (RFC 7383) both ways, a wrong CA and a wrong
# identity, charon behind a NAT (nftables masquerade) with ike-udp's DPD,
# and COOKIEs (RFC 7296 §2.6) under an IKE_SA_INIT flood with the per-
# source half-open cap. Prints TAP. Needs root.
#
#   bash tests/e2e/ike_interop2.sh [BUILD_DIR]     (default: build)
#
#   sw: charon                                       eg: ike-udp
#   192.0.2.1/24, .11-.16 [veth s] ---------------- [veth e] 192.0.2.2/24
#   198.51.100.2/24 [veth n] -- nat -- [veth p] 203.0.113.2/24
#                     198.51.100.1 | 203.0.113.1 (masquerade)
#   198.18.1N.1 (lo)                           [veth g] 198.18.200.1/24
#                                  fl: 198.18.200.11-20 [veth f] (flood)
#
# Each charon connection has its own address (ike-udp, as a responder,
# picks its connection by the address pair) and its own traffic selectors
# (charon 198.18.1N.0/24 <=> ike-udp 198.18.2N.0/24). The PKI is made by
# tests/unit/certs/make.sh in the work dir. ike-udp is started once per
# step; tests/e2e/ike_strongswan.py compares its events with charon's SAs,
# tests/e2e/ike_interop2.py floods and reads captures (tcpdump in eg).
# NETNS_KEEP_WORKDIR=1 keeps configurations, logs and captures.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
IKE_UDP=$BUILD/tests/ike-udp
PY=/usr/bin/python3
SWH=$HERE/ike_strongswan.py
H2=$HERE/ike_interop2.py
T0=$(date +%s.%N)

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog nft ping
deps_need py scapy
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# shellcheck source=scripts/lib/ike_udp.sh
source "$ROOT/scripts/lib/ike_udp.sh"
# shellcheck source=scripts/lib/tap.sh
source "$ROOT/scripts/lib/tap.sh"
# certificates: path-length and key-usage checks
SW_PLUGINS="$SW_PLUGINS constraints"

# name  charon addr  charon key  ike-udp key
CERT_CONNS=(
	"ra 11 rsa p256"
	"pb 12 p384 rsa"
	"ec 13 ed25519 p384"
	"ed 14 p256 ed25519"
)
declare -A ADDR=([ra]=192.0.2.11 [pb]=192.0.2.12 [ec]=192.0.2.13 [ed]=192.0.2.14
	[fr]=192.0.2.15 [ck]=192.0.2.16 [nt]=198.51.100.2)
declare -A NUM=([ra]=1 [pb]=2 [ec]=3 [ed]=4 [fr]=5 [ck]=6 [nt]=7)
# signature schemes charon may log for a key type
declare -A SCHEME=([rsa]='RSA_EMSA_(PKCS1_SHA2_(256|384|512)|PSS_SHA2_(256|384|512)_SALT_[0-9]+)' [p256]='ECDSA(_WITH_SHA(256|384|512)_DER|-256)'
	[p384]='ECDSA(_WITH_SHA(256|384|512)_DER|-384)' [ed25519]='ED25519')
IKEP=aes128gcm16-prfsha256-x25519
ESPP=aes128gcm16
FLOOD_SRCS=$(echo 198.18.200.{11..20} | tr ' ' ,)

PLAN=19
echo "1..$PLAN"


show_logs() {
	if [ -n "${SW_DIR[sw]:-}" ] && [ -s "$(sw_log sw)" ]; then
		{ echo "charon log (tail):"; log_since | tail -n 25; } | diag
	fi
	if [ -n "${IU_ERR:-}" ] && [ -e "$IU_ERR" ]; then
		{ echo "ike-udp stderr (tail, $IU_TAG):"; tail -n 20 "$IU_ERR"; } | diag
		{ echo "ike-udp events (tail):"; tail -n 6 "$IU_OUT"; } | diag
	fi
}

# ---------------------------------------------------------------------------
tap_start ik2 "namespaces, veths, PKI, charon"
PKI=$W/pki
NS_SW="$NETNS_ID-sw" NS_EG="$NETNS_ID-eg" NS_NAT="$NETNS_ID-nat" NS_FL="$NETNS_ID-fl"
IF_SW="${NETNS_ID}s" IF_EG="${NETNS_ID}e"   # sw <-> eg
IF_SN="${NETNS_ID}n" IF_NS="${NETNS_ID}m"   # sw <-> nat
IF_NE="${NETNS_ID}o" IF_EN="${NETNS_ID}p"   # nat <-> eg
IF_FL="${NETNS_ID}f" IF_EF="${NETNS_ID}g"   # fl <-> eg
SWJ=$W/sw.json

LOG_MARK=0
log_mark() {
	LOG_MARK=0
	[ -n "${SW_DIR[sw]:-}" ] && [ -e "$(sw_log sw)" ] && LOG_MARK=$(wc -l <"$(sw_log sw)")
}
log_since() { tail -n +$((LOG_MARK + 1)) "$(sw_log sw)" 2>/dev/null; }

# --- ike-udp ---------------------------------------------------------------
IU_PID="" IU_OUT="" IU_ERR="" IU_TAG=""

# iu_conn NAME LOCAL REMOTE KEY CA [RID [EXTRA]]: one connection of
# ike-udp's configuration. KEY: rsa|p256|... (certificate NAME-chain.pem),
# or psk:SECRET; REMOTE "" for any; RID "" for the default.
iu_conn() {
	local name=$1 local=$2 remote=$3 key=$4 ca=$5 rid=${6:-} extra=${7:-} k=${NUM[$1]}
	printf '{"name": "%s", "local": "%s",' "$name" "$local"
	[ -n "$remote" ] && printf ' "remote": "%s",' "$remote"
	case $key in
	psk:*)
		printf ' "psk": "%s", "local_id": "eg-%s.example", "remote_id": "%s",' \
			"${key#psk:}" "$name" "${rid:-sw-$name.example}"
		;;
	*)
		printf ' "cert": "%s", "key": "%s", "cacert": "%s", "local_id": "%s.example.org",' \
			"$PKI/$key-chain.pem" "$PKI/$key.key" "$PKI/$ca.pem" "$key"
		[ -n "$rid" ] && printf ' "remote_id": "%s",' "$rid"
		;;
	esac
	printf ' "proposals": ["%s"],%s\n' "$IKEP" "${extra:+ $extra,}"
	printf ' "children": [{"name": "%s", "local_ts": ["198.18.%d.0/24"], "remote_ts": ["198.18.%d.0/24"], "esp_proposals": ["%s"]}]}' \
		"$name" $((200 + k)) $((100 + k)) "$ESPP"
}

iu_config() { # FILE CONN_JSON [LIMITS_JSON]
	{
		echo '{'
		[ -n "${3:-}" ] && echo "\"limits\": $3,"
		echo '"connections": ['
		echo "$2"
		echo ']}'
	} >"$1"
}

# established NAME: one IKE SA and one Child SA on each side, SPIs agree.
established() {
	local name=$1
	until_true "len(sw('$name')) == 1 and sw('$name')[0]['state'] == 'ESTABLISHED' and len(inst('$name')) == 1 and len(ikes('$name')) == 1 and len(kids('$name')) == 1" 15 ||
		return 1
	"$PY" "$SWH" match "$IU_OUT" "$SWJ" "$name" AES_GCM_16 128 - CURVE_25519 -
}

# reset: ike-udp deletes its IKE SAs (SIGUSR1) and stops; charon's leftovers
# are removed by force. Not a test point.
reset() {
	local id
	if [ -n "$IU_PID" ] && kill -0 "$IU_PID" 2>/dev/null; then
		kill -USR1 "$IU_PID"
		until_true "not s" 3 >/dev/null
	fi
	iu_stop
	snap
	for id in $(ev "' '.join(a['uniqueid'] for a in s)" 2>/dev/null); do
		sw_swanctl sw --terminate --ike-id "$id" --force >/dev/null 2>&1
	done
	until_true "not s" 5 >/dev/null
}

# --- captures in eg ----------------------------------------------------------
declare -A CAP_PID=()
cap_start() { # NAME IF
	local name=$1 ifc=$2 pid
	bg_run pid "$W/cap-$name.err" ip netns exec "$NS_EG" tcpdump -n -U --immediate-mode -i "$ifc" \
		-w "$W/cap-$name.pcap" 'udp port 500 or udp port 4500'
	CAP_PID[$name]=$pid
	wait_for "grep -q 'listening on' '$W/cap-$name.err'" 5 || { echo "tcpdump did not start"; cat "$W/cap-$name.err"; return 1; }
}
cap_stop() { # NAME
	local pid=${CAP_PID[$1]:-}
	[ -n "$pid" ] || return 0
	sleep 0.2
	kill -INT "$pid" 2>/dev/null
	wait_for "! kill -0 $pid" 5 || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	netns_forget_pid "$pid"
	unset 'CAP_PID[$1]'
}
pc() { "$PY" "$H2" pcap "$W/cap-$1.pcap" "$2"; } # NAME EXPR

# --- charon ------------------------------------------------------------------
# sw_boot [EXTRA]: (re)start charon with EXTRA in charon { }, CA certs, all
# connections loaded.
SW_RETRANSMIT_TRIES=2 SW_RETRANSMIT_TIMEOUT=1 SW_RETRANSMIT_BASE=1.5
export SW_RETRANSMIT_TRIES SW_RETRANSMIT_TIMEOUT SW_RETRANSMIT_BASE
sw_cert_conn() { # NAME MYKEY PEERKEY [extra...]
	local name=$1 me=$2 peer=$3 k=${NUM[$1]}
	shift 3
	sw_conn sw "$name" local_addrs="${ADDR[$name]}" remote_addrs="${REMOTE[$name]:-192.0.2.2}" \
		auth=pubkey local_certs="$PKI/$me.pem" private_key="$PKI/$me.key" \
		local_id="$me.example.org" remote_id="$peer.example.org" \
		proposals="$IKEP" esp_proposals="$ESPP" \
		local_ts="198.18.$((100 + k)).0/24" remote_ts="198.18.$((200 + k)).0/24" \
		mode=tunnel start_action=none mobike=no "$@"
}
declare -A REMOTE=([nt]=203.0.113.2)
sw_boot() {
	SW_CHARON_EXTRA=${1:-}
	sw_stop sw
	sw_setup sw "$NS_SW" || return 1
	cp "$PKI/ca.pem" "$PKI/int.pem" "$(sw_dir sw)/swanctl/x509ca/" || return 1
	sw_start sw 10 || return 1
	local line name a me peer
	for line in "${CERT_CONNS[@]}"; do
		read -r name a me peer <<<"$line"
		sw_cert_conn "$name" "$me" "$peer" || return 1
	done
	sw_cert_conn fr rsa rsa || return 1
	sw_cert_conn nt p384 p256 || return 1
	sw_conn sw ck local_addrs="${ADDR[ck]}" remote_addrs=192.0.2.2 \
		local_id=sw-ck.example remote_id=eg-ck.example psk=psk-ck-0123456789abcdef \
		proposals="$IKEP" esp_proposals="$ESPP" \
		local_ts="198.18.$((100 + NUM[ck])).0/24" remote_ts="198.18.$((200 + NUM[ck])).0/24" \
		mode=tunnel start_action=none mobike=no || return 1
	sw_load sw
}

# ---------------------------------------------------------------------------
# 1: topology, PKI, charon
setup() {
	local p name s
	for p in "$IKE_UDP" "$SW_CHARON" swanctl nft ss tcpdump openssl; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
	"$PY" -c 'from scapy.contrib.ikev2 import IKEv2' || { echo "missing: scapy"; return 1; }
	mkdir -p "$PKI" || return 1
	sh "$ROOT/tests/unit/certs/make.sh" "$PKI" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; return 1; }
	for name in sw eg nat fl; do
		ns_create "$NETNS_ID-$name" || return 1
	done
	veth_create "$IF_SW" "$NS_SW" "$IF_EG" "$NS_EG" &&
		veth_create "$IF_SN" "$NS_SW" "$IF_NS" "$NS_NAT" &&
		veth_create "$IF_NE" "$NS_NAT" "$IF_EN" "$NS_EG" &&
		veth_create "$IF_FL" "$NS_FL" "$IF_EF" "$NS_EG" || return 1
	for p in "$NS_SW $IF_SW" "$NS_EG $IF_EG" "$NS_SW $IF_SN" "$NS_NAT $IF_NS" \
		"$NS_NAT $IF_NE" "$NS_EG $IF_EN" "$NS_FL $IF_FL" "$NS_EG $IF_EF"; do
		# shellcheck disable=SC2086
		link_up $p || return 1
	done
	ip -n "$NS_SW" addr add 192.0.2.1/24 dev "$IF_SW" || return 1
	for name in ra pb ec ed fr ck; do
		ip -n "$NS_SW" addr add "${ADDR[$name]}/24" dev "$IF_SW" || return 1
	done
	for name in "${!NUM[@]}"; do
		ip -n "$NS_SW" addr add "198.18.$((100 + NUM[$name])).1/32" dev lo || return 1
	done
	ip -n "$NS_EG" addr add 192.0.2.2/24 dev "$IF_EG" || return 1
	# NAT: charon's side 198.51.100.0/24, ike-udp's 203.0.113.0/24; eg has
	# no route to 198.51.100.0/24. Short UDP conntrack timeouts: the mapping
	# lives only as long as something crosses it.
	ip -n "$NS_SW" addr add 198.51.100.2/24 dev "$IF_SN" || return 1
	ip -n "$NS_SW" route add 203.0.113.0/24 via 198.51.100.1 || return 1
	ip -n "$NS_NAT" addr add 198.51.100.1/24 dev "$IF_NS" || return 1
	ip -n "$NS_NAT" addr add 203.0.113.1/24 dev "$IF_NE" || return 1
	ip -n "$NS_EG" addr add 203.0.113.2/24 dev "$IF_EN" || return 1
	nsx "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1 || return 1
	nsx "$NS_NAT" nft add table ip nat &&
		nsx "$NS_NAT" nft 'add chain ip nat post { type nat hook postrouting priority 100; }' &&
		nsx "$NS_NAT" nft add rule ip nat post oifname "$IF_NE" masquerade random || return 1
	nsx "$NS_NAT" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=10 \
		net.netfilter.nf_conntrack_udp_timeout_stream=10 || return 1
	# flood: ten addresses towards eg
	ip -n "$NS_EG" addr add 198.18.200.1/24 dev "$IF_EF" || return 1
	for s in ${FLOOD_SRCS//,/ }; do
		ip -n "$NS_FL" addr add "$s/24" dev "$IF_FL" || return 1
	done
	ip -n "$NS_FL" route add 192.0.2.0/24 via 198.18.200.1 || return 1
	nsx "$NS_SW" ping -n -q -c 1 -w 5 192.0.2.2 && nsx "$NS_SW" ping -n -q -c 1 -w 5 203.0.113.2 &&
		nsx "$NS_FL" ping -n -q -c 1 -w 5 -I 198.18.200.11 192.0.2.2 || return 1
	sw_boot
}
check "namespaces sw/eg/nat/fl, veths, masquerade in nat, PKI (make.sh), charon up, connections loaded" setup ||
	FATAL="setup failed"

# 2: certificates, both roles
# auth_logged MYKEY PEERKEY: charon authenticated itself and the peer with
# signature schemes of those key types.
auth_logged() {
	local me=$1 peer=$2 mine theirs
	mine=$(log_since | grep -E "authentication of '$me.example.org' \(myself\) with .* successful" | tail -1)
	theirs=$(log_since | grep -E "authentication of '$peer.example.org' with .* successful" | tail -1)
	echo "charon: ${mine#* * }"
	echo "charon: ${theirs#* * }"
	note "charon: $(echo "$mine" | grep -oE "authentication of .*")"
	note "charon: $(echo "$theirs" | grep -oE "authentication of .*")"
	echo "$mine" | grep -qE "with ${SCHEME[$me]} successful" || { echo "charon's own auth: no ${SCHEME[$me]}"; return 1; }
	echo "$theirs" | grep -qE "with ${SCHEME[$peer]} successful" || { echo "peer auth: no ${SCHEME[$peer]}"; return 1; }
}

cert_up() { # NAME MYKEY PEERKEY ROLE(sw|iu)
	local name=$1 me=$2 peer=$3 role=$4
	iu_config "$W/$name-$role.json" "$(iu_conn "$name" 192.0.2.2 "${ADDR[$name]}" "$peer" ca "$me.example.org")" || return 1
	if [ "$role" = sw ]; then
		iu_start "$name-$role" "$W/$name-$role.json" || return 1
		sw_initiate sw "$name" 10 || return 1
	else
		iu_start "$name-$role" "$W/$name-$role.json" "$name" || return 1
	fi
	established "$name" || return 1
	auth_logged "$me" "$peer"
}
for line in "${CERT_CONNS[@]}"; do
	read -r name _ me peer <<<"$line"
	check "cert $name: charon $me / ike-udp $peer, charon initiates: SAs up, SPIs agree, auth methods logged" \
		cert_up "$name" "$me" "$peer" sw
	[ -z "$FATAL" ] && reset
	check "cert $name: charon $me / ike-udp $peer, ike-udp initiates: SAs up, SPIs agree, auth methods logged" \
		cert_up "$name" "$me" "$peer" iu
	[ -z "$FATAL" ] && reset
done

# 3: fragmented IKE_AUTH both ways: charon.fragment_size = 576,
# "fragment_size": 576, RSA-3072 chains on both sides.
if [ -z "$FATAL" ]; then
	sw_boot "  fragment_size = 576" >"$LOG_T" 2>&1 || { FATAL="charon restart failed"; diag <"$LOG_T"; }
fi
frag_up() { # ROLE
	local role=$1 split recv big n
	iu_config "$W/fr-$role.json" "$(iu_conn fr 192.0.2.2 "${ADDR[fr]}" rsa ca rsa.example.org '"fragment_size": 576')" || return 1
	cap_start "fr-$role" "$IF_EG" || return 1
	if [ "$role" = sw ]; then
		iu_start "fr-$role" "$W/fr-$role.json" || return 1
		sw_initiate sw fr 10 || return 1
	else
		iu_start "fr-$role" "$W/fr-$role.json" fr || return 1
	fi
	established fr
	local rc=$?
	cap_stop "fr-$role"
	[ $rc = 0 ] || return 1
	split=$(log_since | grep -E 'splitting IKE message \([0-9]+ bytes\) into [0-9]+ fragments' | tail -1)
	recv=$(log_since | grep -E 'received fragment #[0-9]+ of [0-9]+, reassembled fragmented IKE message' | tail -1)
	note "charon: $(echo "$split" | grep -oE 'splitting.*')"
	note "charon: $(echo "$recv" | grep -oE 'received fragment.*')"
	[ -n "$split" ] || { echo "charon did not fragment its IKE_AUTH"; return 1; }
	[ -n "$recv" ] || { echo "charon did not reassemble ike-udp's IKE_AUTH"; return 1; }
	# the capture: SKF datagrams both ways, none larger than 576 bytes
	n=$(pc "fr-$role" "(len([x for x in m if x['frag'] and x['src'] == '192.0.2.2']), len([x for x in m if x['frag'] and x['src'] == '${ADDR[fr]}']))")
	big=$(pc "fr-$role" "[(x['src'], x['iplen']) for x in m if x['iplen'] > 576]")
	note "capture: IKE fragments (ike-udp, charon) = $n; largest IKE datagram $(pc "fr-$role" "max(x['iplen'] for x in m)") bytes"
	[ "$big" = "[]" ] || { echo "datagrams over 576 bytes: $big"; return 1; }
	case $n in "(0,"* | *", 0)") echo "no fragments from one side: $n"; return 1 ;; esac
}
check "fragments: RSA-3072 both sides, fragment_size 576 both sides, charon initiates: split and reassembled by both, SAs up" frag_up sw
[ -z "$FATAL" ] && reset
check "fragments: RSA-3072 both sides, fragment_size 576 both sides, ike-udp initiates: split and reassembled by both, SAs up" frag_up iu
[ -z "$FATAL" ] && reset
if [ -z "$FATAL" ]; then
	sw_boot >"$LOG_T" 2>&1 || { FATAL="charon restart failed"; diag <"$LOG_T"; }
fi

# 4: authentication failures (charon rsa / ike-udp p256 as in "ra")
# no_sas: neither side has an SA of ra, ike-udp never reported one up.
no_sas() {
	until_true "not sw('ra')" 6 || { echo "charon still has an SA for ra"; return 1; }
	[ "$(ev "len(evs('ike_up')) + len(evs('child_up'))")" = 0 ] || { echo "ike-udp reported an SA up"; return 1; }
}
auth_fail() { # ROLE CA RID
	local role=$1 ca=$2 rid=$3
	iu_config "$W/af-$role-$ca.json" "$(iu_conn ra 192.0.2.2 "${ADDR[ra]}" p256 "$ca" "$rid")" || return 1
	if [ "$role" = sw ]; then
		iu_start "af-$role-$ca" "$W/af-$role-$ca.json" || return 1
		if sw_initiate sw ra 10; then
			echo "charon's initiation succeeded"
			return 1
		fi
		log_since | grep -qE 'AUTHENTICATION_FAILED' || { echo "charon did not log AUTHENTICATION_FAILED"; return 1; }
		note "charon: $(log_since | grep -m1 -E 'AUTHENTICATION_FAILED' | sed 's/^[0-9:]* //')"
		wait_for "grep -q 'peer authentication failed' '$IU_ERR'" 3 || { echo "ike-udp did not log a failure"; return 1; }
		note "ike-udp: $(grep -m1 'peer authentication failed' "$IU_ERR")"
	else
		cap_start "af-$ca" "$IF_EG" || return 1
		iu_start "af-$role-$ca" "$W/af-$role-$ca.json" ra || return 1
		wait_for "grep -q 'down: AUTHENTICATION_FAILED' '$IU_ERR'" 10 ||
			{ echo "ike-udp did not fail with AUTHENTICATION_FAILED"; cap_stop "af-$ca"; return 1; }
		sleep 1
		cap_stop "af-$ca"
		# what crossed the wire (fragments counted once)
		note "capture: $(pc "af-$ca" "[('ike-udp' if x['src'] == '192.0.2.2' else 'charon', {34: 'IKE_SA_INIT', 35: 'IKE_AUTH', 37: 'INFORMATIONAL'}.get(x['exch'], x['exch']), 'response' if x['resp'] else 'request', x['msgid']) for x in m if not x['frag'] or x['frag'][0] == 1]")"
		note "ike-udp: $(grep -m1 'down: AUTHENTICATION_FAILED' "$IU_ERR")"
		note "charon: $(log_since | grep -E "authentication of '.*' \(myself\)|AUTHENTICATION_FAILED|IKE_SA ra.* established" | sed 's/^[0-9:]* //' | tr '\n' ';')"
	fi
	no_sas
}
check "wrong CA: ike-udp trusts other_ca only, charon initiates: authentication fails, no SAs" auth_fail sw other_ca rsa.example.org
[ -z "$FATAL" ] && reset
check "wrong CA: ike-udp trusts other_ca only, ike-udp initiates: authentication fails, no SAs (charon's too)" auth_fail iu other_ca rsa.example.org
[ -z "$FATAL" ] && reset
check "identity: ike-udp's remote_id p384.example.org, not in charon's certificate, charon initiates: fails, no SAs" auth_fail sw ca p384.example.org
[ -z "$FATAL" ] && reset
check "identity: ike-udp's remote_id p384.example.org, not in charon's certificate, ike-udp initiates: fails, no SAs (charon's too)" auth_fail iu ca p384.example.org
[ -z "$FATAL" ] && reset

# 5: NAT: charon (198.51.100.2) behind nat (masquerade to 203.0.113.1,
# random ports) initiates to ike-udp (203.0.113.2); ike-udp's DPD every 5 s.
nat_up() {
	local srcs ports
	iu_config "$W/nt.json" "$(iu_conn nt 203.0.113.2 203.0.113.1 p256 ca p384.example.org '"dpd": 5')" || return 1
	cap_start nt "$IF_EN" || return 1
	iu_start nt "$W/nt.json" || return 1
	sw_initiate sw nt 10 || return 1
	established nt || return 1
	snap
	note "charon: $(ev "[(a['local-host'], a['local-port'], a['remote-host'], a['remote-port'], 'nat-local', a['nat-local'], 'nat-remote', a['nat-remote']) for a in sw('nt')]"), ike-udp child encap: $(ev "kids('nt')[0]['encap']")"
	[ "$(ev "kids('nt')[0]['encap']")" = True ] || { echo "ike-udp's Child SA is not UDP-encapsulated"; return 1; }
	[ "$(ev "sw('nt')[0]['nat-local'] or sw('nt')[0]['nat-any']")" = True ] || { echo "charon did not detect its NAT"; return 1; }
	[ "$(ev "sw('nt')[0]['local-port']")" = 4500 ] || { echo "charon's IKE SA is not on port 4500"; return 1; }
	sleep 0.3
	srcs=$(pc nt "sorted(set(x['src'] for x in m if x['dst'] == '203.0.113.2'))")
	ports=$(pc nt "sorted(set((x['sport'], x['dport']) for x in m if x['dst'] == '203.0.113.2'))")
	note "eg sees IKE from $srcs, (sport, dport) $ports"
	[ "$srcs" = "['203.0.113.1']" ] || { echo "eg saw IKE from $srcs, not only the NAT's address"; return 1; }
	# the IKE_AUTH and what follows on 4500
	[ "$(pc nt "all(x['dport'] == 4500 for x in m if x['dst'] == '203.0.113.2' and x['exch'] != 34)")" = True ] ||
		{ echo "IKE_AUTH not on port 4500"; return 1; }
}
check "NAT: charon behind masquerade initiates: SAs up, ike-udp encap, charon nat-local, IKE on 4500, eg sees only 203.0.113.1" nat_up || cap_stop nt

nat_idle() {
	local n mapped spis
	snap
	spis=$(ev "(sw('nt')[0]['initiator-spi'], sw('nt')[0]['responder-spi'])")
	sleep 20
	cap_stop nt
	established nt || return 1
	[ "$(ev "(sw('nt')[0]['initiator-spi'], sw('nt')[0]['responder-spi'])")" = "$spis" ] || { echo "not the same IKE SA"; return 1; }
	[ "$(ev "len(evs('ike_down'))")" = 0 ] || { echo "ike-udp reported ike_down"; return 1; }
	n=$(log_since | grep -cE 'parsed INFORMATIONAL request [0-9]+ \[ \]')
	# ike-udp's requests in the capture, and the port they went to
	mapped=$(pc nt "sorted(set(x['dport'] for x in m if x['src'] == '203.0.113.2' and x['exch'] == 37 and not x['resp']))")
	note "in 20 s idle: charon answered $n empty INFORMATIONAL requests (liveness); ike-udp sent them to 203.0.113.1 port(s) $mapped; conntrack UDP timeouts in nat: 10 s"
	[ "$n" -ge 3 ] || { echo "expected >= 3 liveness checks from ike-udp, charon saw $n"; return 1; }
}
check "NAT: 20 s idle, ike-udp \"dpd\": 5: liveness checks cross the NAT (10 s UDP timeout), same IKE SA on both sides" nat_idle
cap_stop nt
[ -z "$FATAL" ] && reset

# 6: COOKIEs under a flood: ike-udp responder, cookie_threshold 20,
# half_open_per_src 10; fl sends IKE_SA_INIT requests from ten addresses
# (30 from .11 first, then 30 from each other one, then 100/s round-robin)
# while charon initiates.
FLOOD_LOG=$W/flood.json
export FLOOD_LOG
flood_cookie() {
	local fpid
	iu_config "$W/ck.json" "$(iu_conn ck 192.0.2.2 "" psk:psk-ck-0123456789abcdef "")" \
		'{"cookie_threshold": 20, "half_open_per_src": 10}' || return 1
	cap_start ckf "$IF_EF" && cap_start cks "$IF_EG" || return 1
	iu_start ck "$W/ck.json" || return 1
	rm -f "$W/flood.ready" "$W/flood.stop"
	bg_run fpid "$W/flood.out" ip netns exec "$NS_FL" "$PY" "$H2" flood --dst 192.0.2.2 \
		--srcs "$FLOOD_SRCS" --log "$FLOOD_LOG" --ready "$W/flood.ready" --stop "$W/flood.stop" \
		--max 20 --burst 30 --rate 100
	wait_for "[ -e '$W/flood.ready' ] || ! kill -0 $fpid" 15
	[ -e "$W/flood.ready" ] || { echo "flood did not get going"; cat "$W/flood.out"; return 1; }
	sleep 1
	local rc=0
	sw_initiate sw ck 10 || rc=1
	[ $rc = 0 ] && { established ck || rc=1; }
	touch "$W/flood.stop"
	wait_pid_exit "$fpid" 10 || kill -KILL "$fpid"
	netns_forget_pid "$fpid"
	cap_stop ckf
	cap_stop cks
	cat "$W/flood.out"
	[ $rc = 0 ] || return 1
	log_since | grep -E 'N\(COOKIE\)' | sed 's/^[0-9:]* //' | head -3
	log_since | grep -qE 'parsed IKE_SA_INIT response 0 \[ N\(COOKIE\) \]' || { echo "charon did not get a COOKIE"; return 1; }
	log_since | grep -qE 'generating IKE_SA_INIT request 0 \[ N\(COOKIE\) SA KE' || { echo "charon did not retry with the cookie"; return 1; }
	# the capture on charon's side: COOKIE out, the retry carries it first
	[ "$(pc cks "any(x['resp'] and x['exch'] == 34 and COOKIE in x['notify'] and x['dst'] == '${ADDR[ck]}' for x in m) and any(not x['resp'] and x['exch'] == 34 and x['notify'][:1] == [COOKIE] and x['pl'][0] == 41 for x in m)")" = True ] ||
		{ echo "capture: no COOKIE exchange with charon"; pc cks "[(x['src'], x['resp'], x['pl'], x['notify']) for x in m if x['exch'] == 34]"; return 1; }
	note "flood: $(pc ckf "(len([x for x in m if not x['resp']]), len([x for x in m if x['resp'] and COOKIE in x['notify']]), len([x for x in m if x['resp'] and 33 in x['pl']]))" | sed 's/(\(.*\), \(.*\), \(.*\))/\1 requests, \2 COOKIE answers, \3 IKE_SA_INIT answers (half-open SAs)/')"
	note "charon: $(log_since | grep -m1 -E 'parsed IKE_SA_INIT response 0 \[ N\(COOKIE\) \]' | sed 's/^[0-9:]* //')"
	# the flood went on around charon's exchanges (which take a few ms)
	local span around
	span=$(pc cks "(min(x['t'] for x in m), max(x['t'] for x in m))")
	around=$(pc ckf "(lambda a, b: (len([x for x in m if not x['resp'] and a - 1 <= x['t'] < a]), len([x for x in m if not x['resp'] and a <= x['t'] <= b]), len([x for x in m if not x['resp'] and b < x['t'] <= b + 1])))(*$span)")
	note "flood requests in the second before charon's first IKE packet, during its exchanges ($(awk -v s="$span" 'BEGIN { gsub(/[()]/, "", s); split(s, a, ", "); printf "%.0f ms", (a[2] - a[1]) * 1000 }')), in the second after: $around"
	case $around in "(0,"* | *", 0)") echo "the flood was not running around charon's exchanges: $around"; return 1 ;; esac
	[ "$(pc ckf "len([x for x in m if x['resp'] and COOKIE in x['notify']])")" -gt 0 ] || { echo "no COOKIE answered to the flood"; return 1; }
}
check "cookies: flood from 10 addresses over cookie_threshold 20; charon initiates meanwhile, gets a COOKIE, retries with it: SAs up" flood_cookie
per_src() {
	# answers per source: IKE_SA_INIT answers (half-open SAs) / COOKIEs / none
	local tab
	tab=$(pc ckf "(lambda reqs, ans: {s: (len([1 for x in reqs if x['src'] == s]), len([1 for x in ans if x['dst'] == s and 33 in x['pl']]), len([1 for x in ans if x['dst'] == s and COOKIE in x['notify']])) for s in sorted(set(x['src'] for x in reqs))})([x for x in m if not x['resp']], [x for x in m if x['resp']])")
	echo "per source (requests, half-open answers, COOKIEs): $tab"
	note "per source (requests, SA_INIT answers, COOKIEs): $tab"
	local p1
	p1=$(pc ckf "(lambda ph1: (len(ph1), len([x for x in m if x['resp'] and x['spi_i'] in ph1 and 33 in x['pl']]), len([x for x in m if x['resp'] and x['spi_i'] in ph1 and COOKIE in x['notify']])))(set(k for k, v in flood.items() if v[1] == 1))")
	note "phase 1 (198.18.200.11 alone, under the cookie threshold): (requests, answered, COOKIEs) = $p1"
	[ "$p1" = "(30, 10, 0)" ] || { echo "phase 1: expected (30, 10, 0), got $p1"; return 1; }
	[ "$(pc ckf "all(len([1 for x in m if x['resp'] and x['dst'] == s and 33 in x['pl']]) <= 10 for s in set(x['src'] for x in m if not x['resp']))")" = True ] ||
		{ echo "a source got more than 10 half-open SAs"; return 1; }
}
check "cookies: per-source cap: 198.18.200.11's 30 requests get 10 answers (half_open_per_src 10), no source over 10 half-open SAs" per_src
[ -z "$FATAL" ] && reset

iu_stop
[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
