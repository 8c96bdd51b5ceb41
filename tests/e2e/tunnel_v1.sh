#!/bin/bash
# IKEv1 through the espgate daemon: the branch-office topology of
# tests/e2e/tunnel.sh with strongSwan's charon speaking IKEv1 (`version = 1`)
# and espgate's connection "branch" saying "version": 1; the tunnel's
# traffic goes through espgate's DPDK data plane (net_af_packet ports) as
# an IKEv2 tunnel's does. Prints TAP. Needs root.
#
#   bash tests/e2e/tunnel_v1.sh [BUILD_DIR]      (default: build)
#
#   host 198.18.1.2 -- br: charon 198.18.1.1 | 203.0.113.2 -- gw: espgate 203.0.113.1 | 198.18.2.1 -- srv 198.18.2.2
#
#  1     set up
#  2     charon initiates main mode (PSK) and a quick mode: espgatectl shows
#        "IKEv1 main mode", the IPsec SA's SPIs and algorithms as charon's
#  3     ping both ways
#  4     5 s of UDP; espgate's per-SA counters equal charon's
#  5-6   espgate restarted with the child's "rekey": 8, "life": 12: 30 s of
#        UDP both ways, >= 3 quick-mode rekeys, no packet lost
#  7     charon rekeys the IPsec SA (swanctl --rekey --child): new SPIs on
#        both sides, the old pair deleted, ping passes
#  8     charon re-establishes the ISAKMP SA (swanctl --rekey --ike): espgate
#        holds the new one, both sides hold the same ISAKMP SAs (charon keeps
#        the old one a while in IKEv1), ping passes
#  9     espgatectl terminate: espgate deletes; charon has no SA left
#  10    espgatectl initiate: espgate starts main mode, ping passes
#  11    espgatectl rekey ID child: espgate's quick mode rekeys the IPsec SA
#  12    charon deletes the ISAKMP SA; espgate removes its SAs and the
#        data-plane SAs
#  13    charon killed and restarted: its INITIAL-CONTACT removes the old
#        ISAKMP SA at once, ping passes
#  14    charon killed: espgate's DPD (R-U-THERE, "dpd": 2, "dpd_timeout":
#        10) removes every SA
#  15    aggressive mode (PSK), charon initiating: espgate restarted with
#        "aggressive": true warns at startup; espgatectl shows "IKEv1
#        aggressive mode", SPIs and algorithms as charon's; ping both ways
#  16    aggressive mode, espgate initiating: ping both ways
#  17    main mode with RSA certificates (RSA-3072, chain via an
#        intermediate CA), charon initiating: SPIs as charon's, ping
#  18    main mode with ECDSA P-256 certificates, espgate initiating: ping
#  19    aggressive mode with ECDSA P-256 certificates (SIG_R, SIG_I),
#        charon initiating: "IKEv1 aggressive mode", SPIs as charon's, ping
#  20    aggressive mode with RSA certificates, espgate initiating: ping
#  21    an IKEv1 and an IKEv2 tunnel on one espgate at once: charon's
#        "branch" (IKEv1, 198.18.1.0/24) and "branch2" (IKEv2, 198.18.1.200/32)
#        to espgate's "branch" ("version": 1) and "branch2" (IKEv2); espgatectl
#        shows one IKE SA of each version; pings through both
#  22    NAT-T through nftables masquerade (in br, ports 40000-40999): the
#        ISAKMP SA floats to the NAT's 4500 mapping, espgate sends IKE and
#        ESP-in-UDP to the translated port, pings pass; espgate's child
#        "life": 1800 (charon offers 3960 s) goes to charon as
#        RESPONDER-LIFETIME (charon parses it, keeps its own lifetime)
#  23    rekeys started by each side while UDP runs at 10 Mbit/s each way
#        (still through the NAT): charon's and espgate's quick modes, then
#        a new ISAKMP SA from charon and one from espgate: no packet lost
#  24    espgate's "branch" says "version": "any": charon with version = 1
#        comes up as IKEv1 main mode, then charon restarted with version = 2
#        comes up as IKEv2 on the same connection; pings through both
#  25    SIGTERM: espgate exits 0 and logs "mbufs in use at exit: 0"
# NETNS_KEEP_WORKDIR=1 keeps configs and logs.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REKEY_SECONDS=${TUNNEL_REKEY_SECONDS:-30}

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

TUN_VERSION=1
TUN_IKE_PROPOSAL=aes128-sha256-modp2048
TUN_ESP_PROPOSAL=aes128-sha256
TUN_DPD=2 TUN_DPD_TIMEOUT=10
TUN_EG_REMOTE=203.0.113.2 # espgate initiates in point 10

PLAN=25
echo "1..$PLAN"

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# eg_ike_count: espgate's ISAKMP SAs of the connection.
eg_ike_count() { eg_json "len([s for s in d['ike_sas'] if s['conn'] == '$TUN_CONN'])"; }
# eg_child_spis: espgate's IPsec SAs of the connection, "in out" per SA.
eg_child_spis() { eg_json "' '.join(c['spi_in'] + '/' + c['spi_out'] for c in d['child_sas'] if c['conn'] == '$TUN_CONN')"; }
# sw_child_spis_br: charon's installed IPsec SAs as espgate sees them
# (espgate's inbound SPI is charon's outbound one): "in/out" per SA.
sw_child_spis_br() { sw_json br "' '.join(c['spi-out'] + '/' + c['spi-in'] for s in d for c in s['children'] if c['state'] == 'INSTALLED')"; }
# eg_cookies / sw_cookies: the ISAKMP SAs' cookie pairs, sorted.
eg_cookies() { eg_json "' '.join(sorted(s['spi_i'] + ':' + s['spi_r'] for s in d['ike_sas'] if s['conn'] == '$TUN_CONN'))"; }
sw_cookies() { sw_json br "' '.join(sorted(s['initiator-spi'] + ':' + s['responder-spi'] for s in d))"; }
# sw_ike_count: charon's ESTABLISHED IKE SAs.
sw_ike_count() { sw_json br "len([s for s in d if s['state'] == 'ESTABLISHED'])"; }

# eg_restart LOG_TAG [VAR=VALUE...]: espgate stopped (SIGTERM, exit 0) and
# started again with the knobs given.
eg_restart() {
	local tag=$1
	shift
	eg_sigterm >/dev/null || return 1
	EG_LOG=$W/espgate-$tag.log
	local kv
	for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
	tunnel_espgate_config "$W/espgate-$tag.json" info || return 1
	eg_start "$W/espgate-$tag.json" "$EG_LOG"
}

# ---------------------------------------------------------------------------
tap_start egt1 "namespaces, espgate and charon (IKEv1) set up"
EG_LOG=$W/espgate.log
TUN_PKI=$W/pki
: >"$NOTES"

setup() {
	suite_programs iperf3 tcpdump openssl || return 1
	tunnel_pki || return 1
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate.json" info || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	# charon's IKEv1 keeps a rekeyed IPsec SA until it expires unless told
	SW_CHARON_EXTRA="  delete_rekeyed = yes" tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate in gw (connection version 1); charon in br with version = 1" setup ||
	FATAL="setup failed"

# agree_ping ROLE MODE: one ISAKMP SA of MODE with espgate the ROLE
# (initiator/responder), SPIs and algorithms as charon's, pings both ways.
agree_ping() {
	eg_sas_json >"$W/eg-sas.json" && sw_list_sas_json br >"$W/sw-sas.json" || return 1
	"$PY" "$HELPER" v1agree "$W/eg-sas.json" "$W/sw-sas.json" "$TUN_CONN" "$2" || return 1
	eg_ctl sas | grep "IKE SA.*IKEv1 $2 mode, $1" || return 1
	ping5 "$NS_HOST" "$SRV_V4" && ping5 "$NS_SRV" "$HOST_V4"
}

# 2: main mode + quick mode, charon initiating
up_and_agree() {
	local t0
	t0=$(date +%s.%N)
	tunnel_up 20 || return 1
	note "IKEv1 tunnel up in $(elapsed "$t0") s"
	agree_ping responder main
}
check "charon initiates main mode: espgatectl sas shows \"IKEv1 main mode\"; version, SPIs and algorithms as charon's" \
	up_and_agree || FATAL="no tunnel"

# 3: ping both ways
pings() { ping5 "$NS_HOST" "$SRV_V4" && ping5 "$NS_SRV" "$HOST_V4"; }
check "ping host -> srv and srv -> host through the IKEv1 tunnel (5 each, no loss)" pings

# 4: counters after 5 s of UDP
udp_counters() { udp_run "$NS_HOST" "$SRV_V4" 5301 10 5 count && counters_agree; }
check "5 s of UDP at 10 Mbit/s each way: the IPsec SA's packets and bytes in espgatectl --json sas equal charon's" udp_counters

# 5-6: espgate rekeys by quick mode under UDP
POLL_PID="" IKECAP_PID=""
rekey_run() {
	local t0 rc
	sw_terminate_ike br "$TUN_CONN" 10 >/dev/null || return 1
	wait_for "! tunnel_eg_up" 10 || { echo "espgate kept the SAs after charon's delete"; eg_ctl sas; return 1; }
	eg_restart rekey TUN_CHILD_REKEY=8 TUN_CHILD_LIFE=12 || return 1
	tunnel_up 20 || return 1
	eg_ctl --json stats >"$W/stats-before.json" || return 1
	bg_run POLL_PID "$W/spis.log" poll_spis "$TUN_CONN"
	bg_run IKECAP_PID "$W/ike.txt" ip netns exec "$NS_BR" tcpdump -l -tt -n -i "$BR_WAN" \
		'udp port 4500 and udp[8:4] = 0'
	sleep 0.5
	t0=$EPOCHREALTIME
	udp_run "$NS_HOST" "$SRV_V4" 5302 10 "$REKEY_SECONDS" rekey
	rc=$?
	sleep 1
	stop_pid "$POLL_PID" 2
	stop_pid "$IKECAP_PID" 2
	eg_ctl --json stats >"$W/stats-after.json"
	[ $rc -eq 0 ] || return 1
	"$PY" "$HELPER" rekeys "$W/spis.log" "$W/udp-rekey.json" "$W/udp-rekey-server.json" "$t0" 3 \
		"$W/ike.txt" >"$W/rekeys.txt"
	"$PY" "$HELPER" drops "$W/stats-before.json" "$W/stats-after.json" >>"$W/rekeys.txt"
	cat "$W/rekeys.txt"
}
REKEY_RC=1
if check "espgate with child rekey 8 s / life 12 s: UDP both ways at 10 Mbit/s for ${REKEY_SECONDS} s completes" rekey_run; then
	REKEY_RC=0
fi
rekeys_no_loss() {
	local n
	[ "$REKEY_RC" -eq 0 ] || return 1
	n=$(grep -c '^  rekey at' "$W/rekeys.txt")
	echo "$n quick-mode rekeys"
	grep -E '^(branch|server)' "$W/rekeys.txt"
	[ "$n" -ge 3 ] && ! grep -q '^  lost' "$W/rekeys.txt" &&
		grep -qE '^branch host -> server: 0 of' "$W/rekeys.txt" &&
		grep -qE '^server -> branch host: 0 of' "$W/rekeys.txt"
}
check "at least 3 quick-mode rekeys started by espgate, no UDP packet lost (make-before-break)" rekeys_no_loss

# 7: charon rekeys the IPsec SA. Back to default lifetimes first.
sw_rekeys_child() {
	local before after
	sw_terminate_ike br "$TUN_CONN" 10 >/dev/null || return 1
	wait_for "! tunnel_eg_up" 10 || return 1
	eg_restart main TUN_CHILD_REKEY= || return 1
	tunnel_up 20 || return 1
	before=$(eg_child_spis) || return 1
	sw_rekey_child br "$TUN_CHILD" >/dev/null || return 1
	wait_for "[ \"\$(eg_child_spis)\" != '$before' ] && [ \"\$(eg_child_spis)\" = \"\$(sw_child_spis_br)\" ] && [ \"\$(eg_child_spis | wc -w)\" = 1 ]" 15 || {
		echo "espgate: $(eg_child_spis); charon: $(sw_child_spis_br) (before: $before)"
		return 1
	}
	after=$(eg_child_spis)
	note "charon's IPsec SA rekey: $before -> $after"
	echo "$before -> $after"
	ping5 "$NS_HOST" "$SRV_V4"
}
check "charon rekeys the IPsec SA: one new pair on both sides (SPIs equal), the old one deleted, ping passes" sw_rekeys_child

# 8: charon re-establishes the ISAKMP SA
sw_rekeys_ike() {
	local before
	before=$(eg_cookies) || return 1
	sw_rekey_ike br "$TUN_CONN" >/dev/null || return 1
	wait_for "[ \"\$(sw_ike_count)\" -ge 1 ] && [ \"\$(sw_cookies)\" != '$before' ] && [ \"\$(eg_cookies)\" = \"\$(sw_cookies)\" ]" 20 || {
		echo "before: $before; espgate: $(eg_cookies); charon: $(sw_cookies)"
		eg_ctl sas
		sw_swanctl br --list-sas
		return 1
	}
	echo "ISAKMP SAs before: $before; now on both sides: $(eg_cookies)"
	eg_ctl sas
	ping5 "$NS_HOST" "$SRV_V4"
}
check "charon re-establishes the ISAKMP SA: espgate holds the new one and the same ISAKMP SAs as charon, ping passes" sw_rekeys_ike

# 9: espgate deletes
eg_terminates() {
	eg_ctl terminate "$TUN_CONN" || return 1
	wait_for "! tunnel_eg_up && [ \"\$(eg_json 'len(d[\"sas\"])')\" = 0 ]" 10 || { eg_ctl sas; return 1; }
	wait_for "[ \"\$(sw_ike_count)\" = 0 ]" 10 || { echo "charon kept its IKE SA"; sw_swanctl br --list-sas; return 1; }
}
check "espgatectl terminate: espgate sends DELETE, its data-plane SAs go, charon has no IKE SA left" eg_terminates

# 10: espgate initiates
eg_initiates() {
	eg_ctl initiate "$TUN_CONN" || return 1
	wait_for tunnel_eg_up 20 || { eg_ctl sas; return 1; }
	wait_for "ip -n '$NS_BR' route show table all | grep -q '^$HQ_NET .*dev ipsec0'" 10 || return 1
	agree_ping initiator "${1:-main}"
}
check "espgatectl initiate: espgate initiates main mode and quick mode, SPIs as charon's, ping both ways" eg_initiates

# 11: espgate rekeys the IPsec SA on command
eg_rekeys_child() {
	local id before
	id=$(eg_json "[s['id'] for s in d['ike_sas']][0]") || return 1
	before=$(eg_child_spis) || return 1
	eg_ctl rekey "$id" child || return 1
	wait_for "[ \"\$(eg_child_spis)\" != '$before' ] && [ \"\$(eg_child_spis | wc -w)\" = 1 ] && [ \"\$(eg_child_spis)\" = \"\$(sw_child_spis_br)\" ]" 15 || {
		echo "espgate: $(eg_child_spis); charon: $(sw_child_spis_br) (before: $before)"
		return 1
	}
	echo "$before -> $(eg_child_spis)"
	ping5 "$NS_HOST" "$SRV_V4"
}
check "espgatectl rekey ID child: espgate's quick mode replaces the IPsec SA on both sides, ping passes" eg_rekeys_child

# 12: charon deletes
sw_deletes() {
	sw_terminate_ike br "$TUN_CONN" 10 >/dev/null || return 1
	wait_for "[ \"\$(eg_json 'len(d[\"ike_sas\"]) + len(d[\"child_sas\"]) + len(d[\"sas\"])')\" = 0 ]" 10 || {
		eg_ctl sas
		return 1
	}
}
check "charon deletes the ISAKMP SA: espgate removes the ISAKMP SA, the IPsec SA and its data-plane SAs" sw_deletes

# 13: INITIAL-CONTACT after the peer restarts
initial_contact() {
	tunnel_up 20 || return 1
	sw_kill br
	tunnel_sw_start || return 1
	sw_prio
	tunnel_up 20 || return 1
	# DPD would take dpd + dpd_timeout; INITIAL-CONTACT removes it at once
	[ "$(eg_ike_count)" = 1 ] || { echo "espgate holds $(eg_ike_count) ISAKMP SAs after charon's restart"; eg_ctl sas; return 1; }
	grep -i "initial.contact" "$EG_LOG" | tail -n 2
	ping5 "$NS_HOST" "$SRV_V4"
}
check "charon killed and restarted: its INITIAL-CONTACT removes espgate's old ISAKMP SA (one left), ping passes" initial_contact

# 14: DPD
dpd_check() {
	local t0 took
	tunnel_eg_up || { echo "no tunnel before the test"; return 1; }
	t0=$(date +%s.%N)
	sw_kill br
	wait_for "[ \"\$(eg_json 'len(d[\"ike_sas\"]) + len(d[\"child_sas\"]) + len(d[\"sas\"])')\" = 0 ]" $((TUN_DPD + TUN_DPD_TIMEOUT + 5)) || {
		eg_ctl sas
		return 1
	}
	took=$(elapsed "$t0")
	note "IKEv1 DPD: every SA gone $took s after charon was killed"
	echo "gone after $took s"
	awk -v t="$took" -v m="$((TUN_DPD + TUN_DPD_TIMEOUT + 2))" 'BEGIN { exit !(t <= m) }'
}
check "charon killed: espgate's DPD (R-U-THERE) removes the ISAKMP SA, the IPsec SA and the data-plane SAs within dpd + dpd_timeout (+2 s)" dpd_check

# 15: aggressive mode, charon initiating
aggressive_up() {
	eg_restart aggr TUN_AGGRESSIVE=yes || return 1
	grep "aggressive mode with a pre-shared key" "$EG_LOG" || { echo "no startup warning"; return 1; }
	TUN_AGGRESSIVE=yes SW_CHARON_EXTRA="  delete_rekeyed = yes
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes" tunnel_sw_prepare || return 1
	tunnel_sw_start || return 1
	sw_prio
	tunnel_up 20 || return 1
	grep -m1 "Aggressive Mode" "$(sw_log br)"
	agree_ping responder aggressive
}
check "aggressive mode with PSK, charon initiating: espgate warns at startup, shows \"IKEv1 aggressive mode\", SPIs and algorithms as charon's, ping both ways" aggressive_up

# 16: aggressive mode, espgate initiating
aggressive_eg_initiates() {
	sw_terminate_ike br "$TUN_CONN" 10 >/dev/null || return 1
	wait_for "! tunnel_eg_up" 10 || return 1
	eg_initiates aggressive
}
check "aggressive mode, espgate initiating: SPIs as charon's, ping both ways" aggressive_eg_initiates

# 17-18: certificates. cert_restart MINE:PEER: both sides again with them.
cert_restart() {
	sw_kill br
	wait_for "! tunnel_eg_up" 15 || return 1
	eg_restart "cert-${1%%:*}${TUN_AGGRESSIVE:+-aggr}" TUN_CERT="$1" || return 1
	TUN_CERT=$1 SW_CHARON_EXTRA="  delete_rekeyed = yes" tunnel_sw_prepare || return 1
	tunnel_sw_start || return 1
	sw_prio
}
cert_rsa() {
	cert_restart rsa:rsa || return 1
	tunnel_up 20 || return 1
	grep -m2 -E "authentication of .* (successful|with RSA)" "$(sw_log br)"
	agree_ping responder main
}
check "main mode with RSA certificates (chain through an intermediate), charon initiating: SPIs and algorithms as charon's, ping both ways" cert_rsa
cert_ecdsa() {
	cert_restart p256:p256 || return 1
	eg_initiates main || return 1
	grep -m2 -E "authentication of .* (successful|with ECDSA)" "$(sw_log br)"
}
check "main mode with ECDSA P-256 certificates, espgate initiating: SPIs and algorithms as charon's, ping both ways" cert_ecdsa

# 19-20: aggressive mode with certificates (RFC 2409 §5.1): no
# i_dont_care_about_security_and_use_aggressive_mode_psk, nothing to warn of
cert_aggr_ecdsa() {
	TUN_AGGRESSIVE=yes cert_restart p256:p256 || return 1
	tunnel_up 20 || return 1
	grep -m1 "Aggressive Mode" "$(sw_log br)"
	grep -m2 -E "authentication of .* (successful|with ECDSA)" "$(sw_log br)"
	agree_ping responder aggressive
}
check "aggressive mode with ECDSA P-256 certificates, charon initiating: \"IKEv1 aggressive mode\", SPIs and algorithms as charon's, ping both ways" cert_aggr_ecdsa
cert_aggr_rsa() {
	TUN_AGGRESSIVE=yes cert_restart rsa:rsa || return 1
	eg_initiates aggressive || return 1
	grep -m2 -E "authentication of .* (successful|with RSA)" "$(sw_log br)"
}
check "aggressive mode with RSA certificates, espgate initiating: SPIs and algorithms as charon's, ping both ways" cert_aggr_rsa

# 21: IKEv1 and IKEv2 at once
V2_SRC=198.18.1.200
eg_versions() { eg_json "' '.join(sorted('%s:v%s' % (s['conn'], s['version']) for s in d['ike_sas'] if s['state'] == 'ESTABLISHED'))"; }
v1_and_v2() {
	local v2
	sw_kill br
	wait_for "! tunnel_eg_up" 15 || return 1
	v2=$(TUN_VERSION=2 tunnel_eg_conn branch2 any branch2.example "$HQ_NET") || return 1
	eg_restart both TUN_EG_CONNS=", $v2" || return 1
	SW_CHARON_EXTRA="  delete_rekeyed = yes" tunnel_sw_prepare || return 1
	sw_conn br branch2 child=net2 version=2 local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_id=branch2.example remote_id=hq.example psk="$TUN_PSK" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		local_ts="$V2_SRC/32" remote_ts="$HQ_NET" || return 1
	tunnel_sw_start || return 1
	sw_prio
	ip -n "$NS_BR" addr add "$V2_SRC/32" dev lo 2>/dev/null
	tunnel_up 20 && sw_initiate br net2 20 >/dev/null || return 1
	wait_for "[ \"\$(eg_versions)\" = 'branch2:v2 branch:v1' ]" 10 || { echo "espgate: $(eg_versions)"; return 1; }
	eg_ctl sas | grep -E "^IKE SA"
	ping5 "$NS_HOST" "$SRV_V4" || return 1
	nsx "$NS_BR" ping -n -c 5 -i 0.2 -W 2 -w 10 -I "$V2_SRC" "$SRV_V4"
}
check "an IKEv1 and an IKEv2 tunnel at once: espgate holds one IKE SA of each version, pings pass through both" v1_and_v2

# 22: NAT-T through a port-translating masquerade in front of charon
nat_t() {
	local port life
	sw_kill br
	wait_for "! tunnel_eg_up" 15 || return 1
	eg_restart nat TUN_CHILD_LIFE=1800 TUN_CHILD_REKEY=1500 || return 1
	nsx "$NS_BR" nft add table ip egnat &&
		nsx "$NS_BR" nft 'add chain ip egnat post { type nat hook postrouting priority 100; }' &&
		nsx "$NS_BR" nft add rule ip egnat post oifname "$BR_WAN" udp dport '{ 500, 4500 }' \
			counter masquerade to :40000-40999 || return 1
	SW_CHARON_EXTRA="  delete_rekeyed = yes" tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
	tunnel_up 20 || return 1
	port=$(eg_json "[s['remote_port'] for s in d['ike_sas']][0]") || return 1
	echo "espgate's ISAKMP SA peer port: $port"
	[ "$port" -ge 40000 ] && [ "$port" -le 40999 ] || { eg_ctl sas; return 1; }
	agree_ping responder main || return 1
	nsx "$NS_BR" nft list chain ip egnat post | grep -E "counter packets [1-9]" || return 1
	# charon 5.9 parses RESPONDER-LIFETIME (24576) but keeps its own
	# lifetime (RFC 2407 §4.6.3.1 leaves the initiator's reaction open)
	grep -m1 "parsed QUICK_MODE response .*N((24576))" "$(sw_log br)" || { echo "no RESPONDER-LIFETIME seen by charon"; return 1; }
}
check "NAT-T through nftables masquerade (ports 40000-40999): espgate's peer is the NAT's port, SPIs as charon's, ping both ways; espgate's child life 1800 s goes to charon as RESPONDER-LIFETIME" nat_t
nsx "$NS_BR" nft delete table ip egnat 2>/dev/null

# 23: phase 2 and phase 1 rekeys from each side under fixed-rate UDP
eg_ike_id() { eg_json "[s['id'] for s in d['ike_sas'] if s['state'] == 'ESTABLISHED'][-1]"; }
rekeys_each_side() {
	local pid lost
	tunnel_eg_up || { echo "no tunnel before the test"; return 1; }
	(
		sleep 2; echo "charon rekeys the IPsec SA"
		sw_rekey_child br "$TUN_CHILD" >/dev/null || echo "FAILED"
		sleep 3; echo "espgate rekeys the IPsec SA"
		eg_ctl rekey "$(eg_ike_id)" child || echo "FAILED"
		sleep 3; echo "charon re-establishes the ISAKMP SA"
		sw_rekey_ike br "$TUN_CONN" >/dev/null || echo "FAILED"
		sleep 4; echo "espgate re-establishes the ISAKMP SA"
		eg_ctl rekey "$(eg_ike_id)" || echo "FAILED"
	) >"$W/rekeys-each.log" 2>&1 &
	pid=$!
	udp_run "$NS_HOST" "$SRV_V4" 5303 10 18 each || { wait "$pid"; return 1; }
	wait "$pid"
	cat "$W/rekeys-each.log"
	eg_ctl sas
	lost=$(udp_lost each) || return 1
	echo "UDP packets lost in both directions: $lost"
	! grep -q FAILED "$W/rekeys-each.log" && [ "$lost" = 0 ]
}
check "rekeys from each side while UDP runs (10 Mbit/s each way): charon's and espgate's quick modes, charon's and espgate's new ISAKMP SAs; no packet lost" rekeys_each_side

# 24: a responder on "version": "any" takes whichever version charon speaks
eg_branch_version() { eg_json "' '.join('v%s' % s['version'] for s in d['ike_sas'] if s['conn'] == '$TUN_CONN' and s['state'] == 'ESTABLISHED')"; }
any_version_up() {
	local want=$1
	SW_CHARON_EXTRA="  delete_rekeyed = yes" TUN_VERSION=$want tunnel_sw_prepare && tunnel_sw_start || return 1
	sw_prio
	tunnel_up 20 || return 1
	[ "$(eg_branch_version)" = "v$want" ] || { echo "espgate: $(eg_branch_version), want v$want"; return 1; }
	eg_ctl sas | grep -E "^IKE SA"
	ping5 "$NS_HOST" "$SRV_V4" && ping5 "$NS_SRV" "$HOST_V4"
}
version_any() {
	sw_kill br
	wait_for "! tunnel_eg_up" 15 || return 1
	eg_restart any TUN_EG_VERSION=any || return 1
	grep -q '"version": "any"' "$W/espgate-any.json" || return 1
	any_version_up 1 || return 1
	eg_ctl sas | grep "IKE SA.*IKEv1 main mode, responder" || return 1
	sw_kill br
	wait_for "! tunnel_eg_up" 15 || return 1
	any_version_up 2
}
check "\"version\": \"any\" on espgate's connection: charon's IKEv1 (main mode) and then charon's IKEv2 come up on it, pings both ways" version_any

# 25: SIGTERM
check "SIGTERM: espgate exits 0 and logs \"mbufs in use at exit: 0\"" eg_sigterm_clean

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
