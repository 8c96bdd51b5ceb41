# shellcheck shell=bash
# The branch-office IPsec topology shared by scripts/demo.sh and
# tests/e2e/tunnel.sh. Source it after scripts/lib/netns.sh and
# scripts/lib/strongswan.sh (netns_init first). Needs root.
#
#   host ---- br (strongSwan charon) ---- gw (espgate) ---- srv
#
#   host  [HOST_IF] 198.18.1.2/24, default via 198.18.1.1
#   br    [BR_LAN]  198.18.1.1/24 (forwarding on)
#         [BR_WAN]  203.0.113.2/24; charon (kernel-libipsec) tunnels
#                   198.18.1.0/24 <=> 198.18.2.0/24 through its TUN device
#                   ipsec0 and installs the route to 198.18.2.0/24 on it
#                   (install_routes = yes, table 220)
#   gw    [GW_WAN]  203.0.113.1/24 (espgate's "unprotected" port)
#         [GW_LAN]  198.18.2.1/24  (espgate's "protected" port)
#                   gw's kernel has no addresses and no IPv6 on them:
#                   espgate owns both veths (net_af_packet)
#   srv   [SRV_IF]  198.18.2.2/24, default via 198.18.2.1
#
# charon with kernel-libipsec fakes a NAT, so IKE floats to UDP 4500 and
# ESP travels in UDP 4500 (RFC 3948) both ways; espgate follows.
#
#   tunnel_topo_create                      namespaces, veths, addresses
#   tunnel_espgate_config FILE [LOG_LEVEL]  espgate's JSON (ESPGATE_SOCK, ESPGATE_PREFIX)
#   tunnel_sw_prepare                       charon instance "br" set up and its connection recorded
#   tunnel_sw_start                         charon running with the connection loaded
#   tunnel_up [TIMEOUT]                     charon initiates; both ends report the SAs
#   eg_ctl ARGS...                          espgatectl against the running espgate
#   eg_sas_json                             `espgatectl --json sas`
#   tunnel_eg_conn NAME REMOTE REMOTE_ID LOCAL_TS   one espgate connection (JSON)
#   tunnel_sw_conn CONN CHILD LOCAL_ADDR LOCAL_ID REMOTE_TS [K=V...]
#                                           one charon connection (sw_conn)
#   eg_start CONFIG LOG                     espgate checked and started
#   ping5 NS DST                            5 pings (bounded)
#   iperf_server / udp_run / udp_lost       iperf3 UDP through the tunnel
#   rcvbuf_errs                             UDP receive-buffer overflows
#   sw_prio / tunnel_show_logs              charon at $TUN_PRIO; logs as TAP diag
#   poll_spis CONN                          espgate's Child SA SPIs of CONN, polled
#
# Knobs (environment, read when the functions run):
#   TUN_EG_REMOTE                     espgate connection's "remote" (default any)
#   TUN_EG_CONNS                      more connections after "branch" (JSON
#                                     objects, e.g. from tunnel_eg_conn, each
#                                     with a leading ",")
#   TUN_EG_ROUTES                     more routes after the one to the branch
#                                     (JSON objects, each with a leading ",")
#   TUN_PRIO                          nice of charon and iperf3 (TUNNEL_NICE, -10)
#   TUN_START                         espgate connections' "start" (unset: "none";
#                                     "start" and "trap" need TUN_EG_REMOTE)
#   TUN_CHILD_REKEY / TUN_CHILD_LIFE  espgate child's "rekey"/"life" (s; unset: defaults)
#   TUN_CHILD_REKEY_BYTES             espgate child's "rekey_bytes" (unset: none)
#   TUN_DPD / TUN_DPD_TIMEOUT         espgate connection's "dpd"/"dpd_timeout" (s)
#   TUN_SW_CHILD_REKEY                charon child's rekey_time (e.g. 10s)
#   TUN_VERSION                       IKE version of "branch" on both sides
#                                     (unset: 2; 1 for IKEv1)
#   TUN_EG_VERSION                    espgate's "version" of "branch" when it
#                                     differs from charon's ("any")
#   TUN_AGGRESSIVE                    "yes": IKEv1 aggressive mode on both sides
#   TUN_CERT, TUN_PKI                 "MINE:PEER" (key names of
#                                     tests/unit/certs/make.sh's PKI in
#                                     TUN_PKI): "branch" authenticates with
#                                     certificates, espgate's MINE, charon's
#                                     PEER, identities NAME.example.org

TUN_PSK=Zt4q8Wv1pLr0xYk2NcB7uHs9
TUN_IKE_PROPOSAL=aes256gcm16-prfsha384-ecp384
TUN_ESP_PROPOSAL=aes256gcm16
TUN_CONN=branch   # connection name on both sides
TUN_CHILD=net     # child name on both sides

tunnel_topo_create() {
	NS_HOST="${NETNS_ID}-host"
	NS_BR="${NETNS_ID}-br"
	NS_GW="${NETNS_ID}-gw"
	NS_SRV="${NETNS_ID}-srv"
	HOST_IF="${NETNS_ID}h"  # in host, towards br
	BR_LAN="${NETNS_ID}l"   # in br, towards host
	BR_WAN="${NETNS_ID}w"   # in br, towards gw
	GW_WAN="${NETNS_ID}u"   # in gw, towards br (unprotected)
	GW_LAN="${NETNS_ID}p"   # in gw, towards srv (protected)
	SRV_IF="${NETNS_ID}s"   # in srv, towards gw
	HOST_V4=198.18.1.2 BR_LAN_V4=198.18.1.1 BR_WAN_V4=203.0.113.2
	GW_WAN_V4=203.0.113.1 GW_LAN_V4=198.18.2.1 SRV_V4=198.18.2.2
	BRANCH_NET=198.18.1.0/24 HQ_NET=198.18.2.0/24

	local ns
	for ns in "$NS_HOST" "$NS_BR" "$NS_GW" "$NS_SRV"; do
		ns_create "$ns" || return 1
		# Only IPv4 here: no IPv6 chatter from any kernel.
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || return 1
		nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	veth_create "$HOST_IF" "$NS_HOST" "$BR_LAN" "$NS_BR" || return 1
	veth_create "$BR_WAN" "$NS_BR" "$GW_WAN" "$NS_GW" || return 1
	veth_create "$GW_LAN" "$NS_GW" "$SRV_IF" "$NS_SRV" || return 1
	nsx "$NS_GW" sysctl -qw "net.ipv6.conf.$GW_WAN.disable_ipv6=1" || return 1
	nsx "$NS_GW" sysctl -qw "net.ipv6.conf.$GW_LAN.disable_ipv6=1" || return 1
	nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=0 || return 1
	# br routes between its lan and ipsec0 (charon's TUN device); packets
	# come back out of ipsec0, so no reverse-path filtering.
	nsx "$NS_BR" sysctl -qw net.ipv4.ip_forward=1 || return 1
	nsx "$NS_BR" sysctl -qw net.ipv4.conf.all.rp_filter=0 || return 1
	nsx "$NS_BR" sysctl -qw net.ipv4.conf.default.rp_filter=0 || return 1

	link_up "$NS_HOST" "$HOST_IF" && link_up "$NS_BR" "$BR_LAN" &&
		link_up "$NS_BR" "$BR_WAN" && link_up "$NS_GW" "$GW_WAN" &&
		link_up "$NS_GW" "$GW_LAN" && link_up "$NS_SRV" "$SRV_IF" || return 1

	ip -n "$NS_HOST" addr add "$HOST_V4/24" dev "$HOST_IF" || return 1
	ip -n "$NS_HOST" route add default via "$BR_LAN_V4" || return 1
	ip -n "$NS_BR" addr add "$BR_LAN_V4/24" dev "$BR_LAN" || return 1
	ip -n "$NS_BR" addr add "$BR_WAN_V4/24" dev "$BR_WAN" || return 1
	ip -n "$NS_SRV" addr add "$SRV_V4/24" dev "$SRV_IF" || return 1
	ip -n "$NS_SRV" route add default via "$GW_LAN_V4" || return 1
}

# tunnel_eg_auth REMOTE_ID: the identities and credentials of an espgate
# connection: the PSK, or with TUN_CERT certificates.
tunnel_eg_auth() {
	if [ -z "${TUN_CERT:-}" ]; then
		printf '"local_id": "hq.example", "remote_id": "%s", "psk": "%s"' "$1" "$TUN_PSK"
		return
	fi
	local me=${TUN_CERT%%:*} peer=${TUN_CERT#*:}
	printf '"local_id": "%s.example.org", "remote_id": "%s.example.org", "auth": "pubkey", "cert": "%s", "key": "%s", "cacerts": ["%s"]' \
		"$me" "$peer" "$TUN_PKI/$me-chain.pem" "$TUN_PKI/$me.key" "$TUN_PKI/ca.pem"
}

# tunnel_eg_conn NAME REMOTE REMOTE_ID LOCAL_TS: an espgate connection
# (responder; local id hq.example) with one child "net" LOCAL_TS <=>
# BRANCH_NET; the TUN_DPD* and TUN_CHILD_* knobs apply.
tunnel_eg_conn() {
	local name=$1 remote=$2 rid=$3 lts=$4 conn_x="" child_x=""
	[ -n "${TUN_DPD:-}" ] && conn_x+=", \"dpd\": $TUN_DPD"
	[ -n "${TUN_DPD_TIMEOUT:-}" ] && conn_x+=", \"dpd_timeout\": $TUN_DPD_TIMEOUT"
	[ -n "${TUN_START:-}" ] && conn_x+=", \"start\": \"$TUN_START\""
	local version=${TUN_EG_VERSION:-${TUN_VERSION:-}}
	case $version in
	"") ;;
	[0-9]) conn_x+=", \"version\": $version" ;;
	*) conn_x+=", \"version\": \"$version\"" ;;
	esac
	[ "${TUN_AGGRESSIVE:-}" = yes ] && conn_x+=", \"aggressive\": true"
	[ -n "${TUN_CHILD_REKEY:-}" ] && child_x+=", \"rekey\": $TUN_CHILD_REKEY"
	[ -n "${TUN_CHILD_LIFE:-}" ] && child_x+=", \"life\": $TUN_CHILD_LIFE"
	[ -n "${TUN_CHILD_REKEY_BYTES:-}" ] && child_x+=", \"rekey_bytes\": $TUN_CHILD_REKEY_BYTES"
	cat <<EOF
    {"name": "$name", "local": "$GW_WAN_V4", "remote": "$remote",
     $(tunnel_eg_auth "$rid"), "proposals": ["$TUN_IKE_PROPOSAL"]$conn_x,
     "children": [
       {"name": "$TUN_CHILD", "local_ts": ["$lts"], "remote_ts": ["$BRANCH_NET"],
        "esp_proposals": ["$TUN_ESP_PROPOSAL"]$child_x}
     ]}
EOF
}

# tunnel_espgate_config FILE [LOG_LEVEL]: espgate's configuration: the two
# ports, the route to the branch and the connection "branch" (responder,
# remote TUN_EG_REMOTE or any) with its child "net" 198.18.2.0/24 <=>
# 198.18.1.0/24; then TUN_EG_ROUTES and TUN_EG_CONNS. TUN_AF_PACKET_ARGS:
# more net_af_packet devargs for both ports, by default ",framecnt=4096":
# the PMD's default ring of 512 frames overflows in the kernel under a
# flood (bench/esp_flood.sh lost 8 % of 650 000 pps, the legitimate
# tunnel's packets with them), and those drops show in no counter.
tunnel_espgate_config() {
	local file=$1 level=${2:-info}
	ESPGATE_SOCK="$NETNS_WORKDIR/espgate.sock"
	ESPGATE_PREFIX="${NETNS_ID}-eal"
	dpdk_prefix_register "$ESPGATE_PREFIX"
	cat >"$file" <<EOF
{
  "eal": ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "$ESPGATE_PREFIX"],
  "lcores": {"control": 0, "workers": [1]},
  "control": {"socket": "$ESPGATE_SOCK"},
  "log": {"level": "$level"},
  "ports": [
    {"name": "lan", "device": "net_af_packet0,iface=$GW_LAN${TUN_AF_PACKET_ARGS-,framecnt=4096}", "role": "protected",
     "addresses": ["$GW_LAN_V4/24"]},
    {"name": "wan", "device": "net_af_packet1,iface=$GW_WAN${TUN_AF_PACKET_ARGS-,framecnt=4096}", "role": "unprotected",
     "addresses": ["$GW_WAN_V4/24"]}
  ],
  "routes": [{"prefix": "$BRANCH_NET", "via": "$BR_WAN_V4"}${TUN_EG_ROUTES:-}],
  "connections": [
$(tunnel_eg_conn "$TUN_CONN" "${TUN_EG_REMOTE:-any}" branch.example "$HQ_NET")${TUN_EG_CONNS:-}
  ]
}
EOF
}

# tunnel_sw_conn CONN CHILD LOCAL_ADDR LOCAL_ID REMOTE_TS [K=V...]: record
# charon connection CONN (br LOCAL_ADDR -> espgate, PSK, ids LOCAL_ID and
# hq.example) with child CHILD BRANCH_NET <=> REMOTE_TS; K=V as sw_conn.
tunnel_sw_conn() {
	local conn=$1 child=$2 laddr=$3 lid=$4 rts=$5
	shift 5
	local -a auth=(local_id="$lid" remote_id=hq.example psk="$TUN_PSK")
	if [ -n "${TUN_CERT:-}" ]; then
		local me=${TUN_CERT%%:*} peer=${TUN_CERT#*:}
		auth=(auth=pubkey local_certs="$TUN_PKI/$peer.pem" private_key="$TUN_PKI/$peer.key"
			local_id="$peer.example.org" remote_id="$me.example.org")
	fi
	sw_conn br "$conn" child="$child" \
		local_addrs="$laddr" remote_addrs="$GW_WAN_V4" "${auth[@]}" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		local_ts="$BRANCH_NET" remote_ts="$rts" "$@"
}

# tunnel_sw_prepare: charon instance "br" in NS_BR (install_routes = yes)
# with the connection "branch" recorded (loaded by tunnel_sw_start).
tunnel_sw_prepare() {
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	if [ -n "${TUN_CERT:-}" ]; then
		cp "$TUN_PKI/ca.pem" "$TUN_PKI/int.pem" "$(sw_dir br)/swanctl/x509ca/" || return 1
	fi
	local -a child=()
	[ -n "${TUN_SW_CHILD_REKEY:-}" ] && child+=("rekey_time=$TUN_SW_CHILD_REKEY")
	[ -n "${TUN_VERSION:-}" ] && child+=("version=$TUN_VERSION")
	[ "${TUN_AGGRESSIVE:-}" = yes ] && child+=("ike.aggressive=yes")
	tunnel_sw_conn "$TUN_CONN" "$TUN_CHILD" "$BR_WAN_V4" branch.example "$HQ_NET" "${child[@]}"
}

# tunnel_sw_start: start charon "br" and load its connection.
tunnel_sw_start() {
	sw_start br || return 1
	sw_load br >/dev/null || return 1
}

# tunnel_vip_of NAME: the virtual address charon "br" holds for its IKE SA NAME.
tunnel_vip_of() {
	sw_list_sas_json br --ike "$1" | json_get - "[v for s in d for v in s.get('local-vips', [])][0]"
}

# tunnel_rw_config FILE REMOTE_AUTH POOL [SECRETS]: the topology's espgate
# with only the connection "rw" (any peer; the certificate p256 of
# $TUN_PKI, tests/unit/certs/make.sh's PKI, and its CA; clients with EAP,
# remote_auth REMOTE_AUTH) and the pool rw4 of prefix POOL; SECRETS: the
# secrets file it names (EAP-MSCHAPv2's users).
tunnel_rw_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$2" "$3" "${4:-}" "$GW_WAN_V4" "$TUN_PKI" "$TUN_IKE_PROPOSAL" \
		"$TUN_ESP_PROPOSAL" "$HQ_NET" <<'PY'
import json, sys
src, dst, remote_auth, pool, secrets, local, pki, ike, esp, hq = sys.argv[1:]
d = json.load(open(src))
if secrets:
    d.setdefault("ike", {})["secrets"] = secrets
d["pools"] = [{"name": "rw4", "prefix": pool, "lease": 3600}]
d["connections"] = [{
    "name": "rw", "local": local, "remote": "any", "local_id": "p256.example.org",
    "auth": "pubkey", "remote_auth": remote_auth,
    "cert": pki + "/p256-chain.pem", "key": pki + "/p256.key", "cacerts": [pki + "/ca.pem"],
    "proposals": [ike], "pools": ["rw4"],
    "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool],
                  "esp_proposals": [esp]}]}]
json.dump(d, open(dst, "w"), indent=1)
PY
}

# tunnel_pki: tests/unit/certs/make.sh's PKI in $TUN_PKI (its log in
# $W/pki.log, shown when it fails).
tunnel_pki() {
	mkdir -p "$TUN_PKI" || return 1
	sh "$ROOT/tests/unit/certs/make.sh" "$TUN_PKI" >"$W/pki.log" 2>&1 || { cat "$W/pki.log"; return 1; }
}

# tunnel_rw_setup CONFIG CMD...: the PKI in $TUN_PKI, the topology, CMD
# (which writes CONFIG: it needs the topology's addresses), espgate
# running with CONFIG (log $EG_LOG), and charon "br" set up with the PKI's
# CA and intermediate (not started: the suite adds its connections).
tunnel_rw_setup() {
	local p config=$1
	shift
	for p in "$BUILD/app/espgate" "$BUILD/app/espgatectl" "$SW_CHARON" swanctl openssl; do
		command -v "$p" >/dev/null || { echo "missing: $p"; return 1; }
	done
	tunnel_pki || return 1
	tunnel_topo_create && "$@" || return 1
	eg_start "$config" "$EG_LOG" || return 1
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	cp "$TUN_PKI/ca.pem" "$TUN_PKI/int.pem" "$(sw_dir br)/swanctl/x509ca/"
}

# tunnel_sw_eap NAME PASSWORD: charon br's connection NAME (child
# NAME-net) to espgate's rw: EAP-MSCHAPv2 as the identity NAME with
# PASSWORD, espgate by its certificate p256.example.org, a virtual IPv4
# address asked for (the EAP suites: eap.sh, radius.sh).
tunnel_sw_eap() {
	local dir
	sw_conn br "$1" child="$1-net" local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_auth=eap-mschapv2 local_id="$1" local_eap_id="$1" \
		remote_auth=pubkey remote_id=p256.example.org \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0 remote_ts="$HQ_NET" || return 1
	dir=$(sw_dir br)/conns/$1
	printf 'eap-%s {\n  id = %s\n  secret = "%s"\n}\n' "$1" "$1" "$2" >>"$dir/secrets"
}

# tunnel_eap_initiate NAME TIMEOUT: charon br initiates NAME-net (its
# output in $W/up-NAME.log); it comes up and logs EAP-MS-CHAPv2's
# success, noted.
tunnel_eap_initiate() {
	local log
	log=$(sw_log br)
	sw_initiate br "$1-net" "$2" >"$W/up-$1.log" 2>&1 || { tail -n 8 "$W/up-$1.log"; return 1; }
	grep -q "EAP-MS-CHAPv2 succeeded" "$log" || { echo "charon did not log EAP-MS-CHAPv2 success"; return 1; }
	note "charon: $(grep -m1 'EAP-MS-CHAPv2 succeeded' "$log" | sed 's/^[0-9:.]* //')"
}

# tunnel_rw_listed: espgate lists one IKE SA, of connection rw, ESTABLISHED,
# and one Child SA of rw; the head of espgatectl sas as notes (suites
# with note(), the EAP suites).
tunnel_rw_listed() {
	[ "$(eg_json "[(s['conn'], s['state']) for s in d['ike_sas']]")" = "[('rw', 'ESTABLISHED')]" ] &&
		[ "$(eg_json "len([c for c in d['child_sas'] if c['conn'] == 'rw'])")" = 1 ] ||
		{ echo "espgate's SAs: $(eg_sas_json)"; return 1; }
	eg_ctl sas | head -n 6 | tee "$W/sas.txt"
	while read -r l; do note "$l"; done <"$W/sas.txt"
}

# tunnel_vip_ping_of NAME POOL LOG: tunnel_vip_ping from the virtual
# address of charon's IKE SA NAME, noted.
tunnel_vip_ping_of() {
	local vip
	vip=$(tunnel_vip_of "$1") || { echo "charon lists no virtual IP for $1"; return 1; }
	tunnel_vip_ping "$vip" "$2" "$3" || return 1
	note "$1: virtual IP $vip (CFG_REPLY); ping $SRV_V4 from it: $(grep -o '[0-9]* received' "$3")"
}

# tunnel_vip_ping VIP POOL LOG: a road warrior's virtual address VIP is
# from POOL, installed in br with HQ_NET routed into ipsec0, and pings srv
# from it through espgate (5, no loss; ping's output in LOG).
tunnel_vip_ping() {
	local vip=$1 pool=$2 log=$3
	"$PY" -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' \
		"$vip" "$pool" || { echo "the address $vip is not from $pool"; return 1; }
	wait_for "ip -n '$NS_BR' -4 addr show | grep -q ' $vip/'" 5 ||
		{ echo "charon did not install $vip"; ip -n "$NS_BR" addr; return 1; }
	wait_for "ip -n '$NS_BR' route show table all | grep -q '^$HQ_NET .*dev ipsec0'" 10 ||
		{ echo "no route to $HQ_NET via ipsec0"; return 1; }
	nsx "$NS_BR" ping -n -q -c 5 -i 0.2 -w 10 -I "$vip" "$SRV_V4" >"$log" 2>&1 || { cat "$log"; return 1; }
	grep -q ' 0% packet loss' "$log" || { cat "$log"; return 1; }
}

# eg_ctl ARGS...: espgatectl against the running espgate (bounded).
eg_ctl() { timeout 10 "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" "$@"; }

# eg_sas_json: `espgatectl --json sas` on stdout.
eg_sas_json() { eg_ctl --json sas; }

# eg_json EXPR: a Python expression over `d` = `espgatectl --json sas`.
eg_json() {
	local j
	j=$(eg_sas_json) || return 1
	printf '%s' "$j" | json_get - "$1"
}

# tunnel_eg_up: espgate lists an IKE SA and a Child SA of the connection.
tunnel_eg_up() {
	[ "$(eg_json "bool([s for s in d['ike_sas'] if s['conn'] == '$TUN_CONN' and s['state'] == 'ESTABLISHED'] and [c for c in d['child_sas'] if c['conn'] == '$TUN_CONN' and c['state'] == 'INSTALLED'])" 2>/dev/null)" = True ]
}

# tunnel_up [TIMEOUT=20]: charon initiates the child (and its IKE SA); then
# waits (bounded) until espgate lists both and charon's route is in place.
tunnel_up() {
	local t=${1:-20}
	sw_initiate br "$TUN_CHILD" "$t" || return 1
	wait_for tunnel_eg_up 10 || {
		echo "espgate does not list an ESTABLISHED IKE SA and an INSTALLED Child SA"
		eg_ctl sas
		return 1
	}
	wait_for "ip -n '$NS_BR' route show table all | grep -q '^$HQ_NET .*dev ipsec0'" 10 || {
		echo "charon installed no route to $HQ_NET via ipsec0"
		ip -n "$NS_BR" route show table all
		return 1
	}
}

# --- traffic and process helpers of the suites ------------------------------
# The userspace half of the traffic path (charon's ESP, iperf3) runs at nice
# TUN_PRIO: on a small shared box (espgate's worker spins on one CPU) other
# load would otherwise stall it long enough for its UDP sockets to overflow.
TUN_PRIO=${TUNNEL_NICE:--10}

# sw_prio: every thread of charon "br" at TUN_PRIO (nice is per thread).
sw_prio() {
	local pid=${SW_PID[br]:-} t
	local -a tids=()
	[ -n "$pid" ] || return 0
	for t in "/proc/$pid/task/"*; do tids+=("${t##*/}"); done
	renice -n "$TUN_PRIO" -p "${tids[@]}" >/dev/null 2>&1
	return 0
}

# eg_start CONFIG LOG: espgate checked (--check) and running with CONFIG.
eg_start() {
	"$BUILD/app/espgate" --check --config "$1" || return 1
	espgate_start "$BUILD" "$1" "$2" 30 || {
		echo "espgate did not start"
		grep -v '^EAL' "$2" | tail -n 20
		return 1
	}
}

# ping5 NS DST: 5 pings, none lost (bounded: 10 s).
ping5() {
	local ns=$1 dst=$2
	nsx "$ns" ping -n -c 5 -i 0.2 -W 2 -w 10 "$dst" || return 1
}

# rcvbuf_errs: "HOST SRV BR IPSEC0_TX_DROPPED": the kernels' UDP receive-buffer
# overflows (RcvbufErrors) in host, srv and br (charon's UDP 4500 socket)
# and the drops of charon's TUN device: where packets die that neither
# espgate nor the network lost.
rcvbuf_errs() {
	local ns
	for ns in "$NS_HOST" "$NS_SRV" "$NS_BR"; do
		# shellcheck disable=SC2016 # awk's $6
		printf '%s ' "$(nsx "$ns" awk '/^Udp:/ { getline; print $6; exit }' /proc/net/snmp)"
	done
	nsx "$NS_BR" cat /sys/class/net/ipsec0/statistics/tx_dropped 2>/dev/null || echo 0
}

# iperf_server NS ADDR PORT LOG [ARGS]: a one-off iperf3 server; pid in SRV_PID.
SRV_PID=""
iperf_server() {
	local ns=$1 addr=$2 port=$3 log=$4
	shift 4
	bg_run SRV_PID "$log" ip netns exec "$ns" nice -n "$TUN_PRIO" iperf3 -s -1 -B "$addr" -p "$port" "$@"
	wait_for "nsx '$ns' ss -Hltn 'sport = :$port' | grep -q ." 10 || {
		echo "iperf3 server did not listen"
		cat "$log"
		return 1
	}
}

# udp_run FROM_NS TO_ADDR PORT RATE_M SECONDS TAG: iperf3 UDP both ways at
# once (--bidir) between FROM_NS and a server on TO_ADDR in srv; the
# client's report in $NETNS_WORKDIR/udp-TAG.json, the server's in
# udp-TAG-server.json.
udp_run() {
	local from=$1 to=$2 port=$3 rate=$4 secs=$5 tag=$6 w=$NETNS_WORKDIR
	iperf_server "$NS_SRV" "$to" "$port" "$w/udp-$tag-server.json" -J -i 0.5 || return 1
	timeout $((secs + 30)) ip netns exec "$from" nice -n "$TUN_PRIO" iperf3 -c "$to" -p "$port" -u -b "${rate}M" \
		-l 1200 -w 2M -t "$secs" -i 0.5 --bidir -J >"$w/udp-$tag.json" 2>"$w/udp-$tag.err"
	local rc=$?
	wait_pid_exit "$SRV_PID" 10 || stop_pid "$SRV_PID"
	[ $rc -eq 0 ] || { cat "$w/udp-$tag.err"; head -c 2000 "$w/udp-$tag.json"; return 1; }
}

# udp_lost TAG: packets lost in both directions of udp_run TAG.
udp_lost() {
	json_get "$NETNS_WORKDIR/udp-$1.json" 'd["end"]["sum"]["lost_packets"] + d["end"]["sum_bidir_reverse"]["lost_packets"]'
}

# tunnel_show_logs: the tails of espgate's log ($EG_LOG) and charon's, as
# TAP diagnostics (a suite's show_logs).
tunnel_show_logs() {
	if [ -n "${EG_LOG:-}" ] && [ -s "$EG_LOG" ]; then
		{ echo "espgate log (tail):"; grep -v '^EAL' "$EG_LOG" | tail -n 15; } | diag
	fi
	if [ -n "${SW_DIR[br]:-}" ] && [ -s "$(sw_log br)" ]; then
		{ echo "charon log (tail):"; tail -n 15 "$(sw_log br)"; } | diag
	fi
	if [ -n "${ESPGATE_SAN_LOG:-}" ]; then
		san_reports "$ESPGATE_SAN_LOG".* | diag
	fi
}

# poll_spis CONN: every 0.25 s until killed, "EPOCH SPI_IN SPI_OUT ..." of
# espgate's Child SAs of CONN ("-" when none).
poll_spis() {
	local out
	while :; do
		out=$(eg_json "' '.join(c['spi_in'] + ' ' + c['spi_out'] for c in d['child_sas'] if c['conn'] == '$1') or '-'" 2>/dev/null) &&
			echo "$EPOCHREALTIME $out"
		sleep 0.25
	done
}
