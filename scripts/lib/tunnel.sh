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
#   eg_start CONFIG LOG                     espgate running in gw with CONFIG (ESPGATE_PID)
#   eg_sigterm                              SIGTERM espgate; it exits 0 (log: EG_LOG)
#   eg_stop_clean                           the same, and no mbuf was left in use
#   eg_ctl ARGS...                          espgatectl against the running espgate
#   show_logs                               tails of espgate's (EG_LOG) and charon's logs, as
#                                           TAP diagnostics (scripts/lib/tap.sh calls it)
#   eg_sas_json                             `espgatectl --json sas`
#
# Knobs (environment, read when the functions run):
#   TUN_CHILD_REKEY / TUN_CHILD_LIFE  espgate child's "rekey"/"life" (s; unset: defaults)
#   TUN_CHILD_REKEY_BYTES             espgate child's "rekey_bytes" (unset: none)
#   TUN_DPD / TUN_DPD_TIMEOUT         espgate connection's "dpd"/"dpd_timeout" (s)
#   TUN_SW_CHILD_REKEY                charon child's rekey_time (e.g. 10s)
#   TUN_START                         espgate connection's "start" (unset: the
#                                     default, "none"); with it, espgate's
#                                     "remote" is charon's address, not any

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

# tunnel_espgate_config FILE [LOG_LEVEL]: espgate's configuration: the two
# ports, the route to the branch and the connection "branch" (responder,
# any remote) with its child "net" 198.18.2.0/24 <=> 198.18.1.0/24.
tunnel_espgate_config() {
	local file=$1 level=${2:-info} conn_x="" child_x="" remote=any
	ESPGATE_SOCK="$NETNS_WORKDIR/espgate.sock"
	ESPGATE_PREFIX="${NETNS_ID}-eal"
	dpdk_prefix_register "$ESPGATE_PREFIX"
	[ -n "${TUN_DPD:-}" ] && conn_x+=", \"dpd\": $TUN_DPD"
	if [ -n "${TUN_START:-}" ]; then
		conn_x+=", \"start\": \"$TUN_START\""
		remote=$BR_WAN_V4
	fi
	[ -n "${TUN_DPD_TIMEOUT:-}" ] && conn_x+=", \"dpd_timeout\": $TUN_DPD_TIMEOUT"
	[ -n "${TUN_CHILD_REKEY:-}" ] && child_x+=", \"rekey\": $TUN_CHILD_REKEY"
	[ -n "${TUN_CHILD_LIFE:-}" ] && child_x+=", \"life\": $TUN_CHILD_LIFE"
	[ -n "${TUN_CHILD_REKEY_BYTES:-}" ] && child_x+=", \"rekey_bytes\": $TUN_CHILD_REKEY_BYTES"
	cat >"$file" <<EOF
{
  "eal": ["--no-huge", "-m", "1024", "--no-pci", "--file-prefix", "$ESPGATE_PREFIX"],
  "lcores": {"control": 0, "workers": [1]},
  "control": {"socket": "$ESPGATE_SOCK"},
  "log": {"level": "$level"},
  "ports": [
    {"name": "lan", "device": "net_af_packet0,iface=$GW_LAN", "role": "protected",
     "addresses": ["$GW_LAN_V4/24"]},
    {"name": "wan", "device": "net_af_packet1,iface=$GW_WAN", "role": "unprotected",
     "addresses": ["$GW_WAN_V4/24"]}
  ],
  "routes": [{"prefix": "$BRANCH_NET", "via": "$BR_WAN_V4"}],
  "connections": [
    {"name": "$TUN_CONN", "local": "$GW_WAN_V4", "remote": "$remote",
     "local_id": "hq.example", "remote_id": "branch.example",
     "psk": "$TUN_PSK", "proposals": ["$TUN_IKE_PROPOSAL"]$conn_x,
     "children": [
       {"name": "$TUN_CHILD", "local_ts": ["$HQ_NET"], "remote_ts": ["$BRANCH_NET"],
        "esp_proposals": ["$TUN_ESP_PROPOSAL"]$child_x}
     ]}
  ]
}
EOF
}

# tunnel_sw_prepare: charon instance "br" in NS_BR (install_routes = yes)
# with the connection "branch" recorded (loaded by tunnel_sw_start).
tunnel_sw_prepare() {
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	local -a child=()
	[ -n "${TUN_SW_CHILD_REKEY:-}" ] && child+=("rekey_time=$TUN_SW_CHILD_REKEY")
	sw_conn br "$TUN_CONN" child="$TUN_CHILD" \
		local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_id=branch.example remote_id=hq.example psk="$TUN_PSK" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		local_ts="$BRANCH_NET" remote_ts="$HQ_NET" "${child[@]}"
}

# tunnel_sw_start: start charon "br" and load its connection.
tunnel_sw_start() {
	sw_start br || return 1
	sw_load br >/dev/null || return 1
}

# eg_start CONFIG LOG: espgate running with CONFIG.
eg_start() {
	"$BUILD/app/espgate" --check --config "$1" || return 1
	espgate_start "$BUILD" "$1" "$2" 30 || {
		echo "espgate did not start"
		grep -v '^EAL' "$2" | tail -n 20
		return 1
	}
}

# eg_sigterm: SIGTERM espgate; exits 0 within 10 s.
eg_sigterm() {
	kill -TERM "$ESPGATE_PID" || return 1
	if ! wait_pid_exit "$ESPGATE_PID" 10; then
		echo "espgate still running 10 s after SIGTERM"
		return 1
	fi
	echo "exit status $WAIT_STATUS"
	grep -v '^EAL' "$EG_LOG" | tail -n 5
	[ "$WAIT_STATUS" -eq 0 ]
}

# eg_stop_clean: eg_sigterm, and espgate logged that no mbuf was left in use.
eg_stop_clean() {
	eg_sigterm || return 1
	grep -q "mbufs in use at exit: 0$" "$EG_LOG" || {
		echo "no 'mbufs in use at exit: 0' in the log:"
		grep "mbufs in use" "$EG_LOG"
		return 1
	}
}

# show_logs: what scripts/lib/tap.sh shows when a point fails (source tap.sh
# after this file): the tails of espgate's log (EG_LOG) and charon's.
show_logs() {
	if [ -n "${EG_LOG:-}" ] && [ -s "$EG_LOG" ]; then
		{ echo "espgate log (tail):"; grep -v '^EAL' "$EG_LOG" | tail -n 15; } | diag
	fi
	if [ -n "${SW_DIR[br]:-}" ] && [ -s "$(sw_log br)" ]; then
		{ echo "charon log (tail):"; tail -n 15 "$(sw_log br)"; } | diag
	fi
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
