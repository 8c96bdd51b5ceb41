#!/bin/bash
# A road warrior with a virtual IPv4 and a virtual IPv6 address (issue 17
# item 1; RFC 7296 §2.19, §3.15.1: INTERNAL_IP4_ADDRESS and
# INTERNAL_IP6_ADDRESS in one CFG_REQUEST): charon in br as alice asks
# for both (vips = 0.0.0.0,::); espgate's connection "rw" has the pools
# rw4 (198.18.100.0/30) and rw6 (2001:db8:100::/126) and a child per
# family, net (198.18.2.0/24 <=> rw4) and net6 (2001:db8:2::/64 <=> rw6);
# srv has 2001:db8:2::2 behind espgate's protected port (2001:db8:2::1).
# Prints TAP. Needs root.
#
#   bash tests/e2e/ra_dual.sh [BUILD_DIR]      (default: build)
#
# Points: alice gets one address of each pool and both Child SAs, narrowed
# to them; she pings srv from each (IPv4 and IPv6, through espgate's data
# plane) and runs iperf3 to srv over each; espgatectl pools lists both
# leases for her identity; her reconnection keeps both addresses.
#
# espgate's data-plane SAs take one selector pair each (app/settings.c),
# so the two families travel in two Child SAs here, as charon negotiates
# them with one child per family.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=6
echo "1..$PLAN"

tap_start egrd "namespaces (IPv6 in br and srv), espgate with pools rw4 and rw6, charon as alice"
EG_LOG=$W/espgate.log
: >"$NOTES"
POOL4=198.18.100.0/30
POOL6=2001:db8:100::/126
HQ6_NET=2001:db8:2::/64
GW_LAN_V6=2001:db8:2::1
SRV_V6=2001:db8:2::2

# dual_config FILE: the topology's espgate with its LAN port dual-stack and
# only the connection "rw" (any peer, PSK) with both pools and a child per
# family.
dual_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$GW_WAN_V4" "$TUN_PSK" "$TUN_IKE_PROPOSAL" "$TUN_ESP_PROPOSAL" \
		"$HQ_NET" "$HQ6_NET" "$POOL4" "$POOL6" "$GW_LAN_V6/64" <<'PY'
import json, sys
src, dst, local, psk, ike, esp, hq, hq6, pool4, pool6, lan6 = sys.argv[1:]
d = json.load(open(src))
d["ports"][0]["addresses"].append(lan6)
d["pools"] = [{"name": "rw4", "prefix": pool4, "lease": 3600},
              {"name": "rw6", "prefix": pool6, "lease": 3600}]
d["connections"] = [{
    "name": "rw", "local": local, "remote": "any", "local_id": "hq.example",
    "psk": psk, "proposals": [ike], "pools": ["rw4", "rw6"],
    "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool4], "esp_proposals": [esp]},
                 {"name": "net6", "local_ts": [hq6], "remote_ts": [pool6], "esp_proposals": [esp]}]}]
json.dump(d, open(dst, "w"), indent=1)
PY
}

# ipv6_on NS IF...: IPv6 on in NS (and on the devices made later, such as
# charon's TUN device) but off on the veths IF..., which stay IPv4-only.
ipv6_on() {
	local ns=$1 i
	shift
	nsx "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0 || return 1
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 || return 1
	nsx "$ns" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 || return 1
	for i in "$@"; do
		nsx "$ns" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || return 1
	done
}

setup() {
	suite_programs iperf3 || return 1
	tunnel_topo_create || return 1
	ipv6_on "$NS_BR" "$BR_WAN" "$BR_LAN" || return 1
	ipv6_on "$NS_SRV" || return 1
	ip -n "$NS_SRV" addr add "$SRV_V6/64" dev "$SRV_IF" nodad || return 1
	ip -n "$NS_SRV" -6 route add default via "$GW_LAN_V6" dev "$SRV_IF" || return 1
	dual_config "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	sw_conn br alice child=alice-net local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_id=alice.example remote_id=hq.example psk="$TUN_PSK" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0,:: remote_ts="$HQ_NET" || return 1
	sw_child br alice alice-net6 esp_proposals="$TUN_ESP_PROPOSAL" remote_ts="$HQ6_NET" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv (IPv6 in br and srv); espgate: LAN 198.18.2.1/24 and $GW_LAN_V6/64, pools rw4 $POOL4 and rw6 $POOL6, children net and net6; charon: alice asking for 0.0.0.0 and ::" setup ||
	FATAL="setup failed"

# vips_of NAME: charon's virtual addresses of IKE SA NAME, one per line.
vips_of() { sw_list_sas_json br --ike "$1" | json_get - "'\\n'.join(v for s in d for v in s.get('local-vips', []))"; }

# in_net ADDR NET: ADDR lies in NET.
in_net() {
	"$PY" -c 'import ipaddress, sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network(sys.argv[2]))' "$1" "$2"
}

VIP4="" VIP6=""
# alice_up: both children up; one address of each pool; both noted.
alice_up() {
	local v
	sw_initiate br alice-net 20 >"$W/up.log" 2>&1 || { tail -n 5 "$W/up.log"; return 1; }
	sw_initiate br alice-net6 20 >"$W/up6.log" 2>&1 || { tail -n 5 "$W/up6.log"; return 1; }
	VIP4="" VIP6=""
	for v in $(vips_of alice); do
		case $v in
		*:*) VIP6=$v ;;
		*) VIP4=$v ;;
		esac
	done
	in_net "$VIP4" "$POOL4" || { echo "IPv4 virtual address '$VIP4' not from $POOL4"; return 1; }
	in_net "$VIP6" "$POOL6" || { echo "IPv6 virtual address '$VIP6' not from $POOL6"; return 1; }
	note "alice: virtual addresses $VIP4 and $VIP6 (one CFG_REPLY)"
}

# 2
both_up() {
	alice_up || return 1
	eg_json "sorted((s['selector']['src'], s['selector']['dst']) for s in d['sas'] if s['direction'] == 'out')" >"$W/out-sel.txt" || return 1
	note "espgate's outbound SAs (selector src, dst): $(cat "$W/out-sel.txt")"
	[ "$(cat "$W/out-sel.txt")" = "[('$HQ_NET', '$VIP4/32'), ('$HQ6_NET', '$VIP6/128')]" ]
}
check "alice asks for an IPv4 and an IPv6 address: one of rw4 and one of rw6; her Child SAs net and net6, each outbound SA narrowed to her address of its family" both_up

# 3
ping_both() {
	wait_for "ip -n '$NS_BR' addr show | grep -q ' $VIP6/'" 5 || { echo "charon did not install $VIP6"; ip -n "$NS_BR" addr; return 1; }
	tunnel_vip_ping "$VIP4" "$POOL4" "$W/ping4.log" || return 1
	wait_for "ip -n '$NS_BR' -6 route show table all | grep -q '^$HQ6_NET .*dev ipsec0'" 10 ||
		{ echo "no route to $HQ6_NET via ipsec0"; ip -n "$NS_BR" -6 route show table all; return 1; }
	nsx "$NS_BR" ping -6 -n -q -c 5 -i 0.2 -w 10 -I "$VIP6" "$SRV_V6" >"$W/ping6.log" 2>&1 || { cat "$W/ping6.log"; return 1; }
	grep -q ' 0% packet loss' "$W/ping6.log" || { cat "$W/ping6.log"; return 1; }
	note "ping $SRV_V4 from $VIP4: $(grep -o '[0-9]* received' "$W/ping4.log"); ping $SRV_V6 from $VIP6: $(grep -o '[0-9]* received' "$W/ping6.log")"
}
check "alice pings srv from each address: 198.18.2.2 from her IPv4 one, $SRV_V6 from her IPv6 one, through espgate's data plane (5 each, no loss)" ping_both

# iperf_from VIP SRV PORT LOG: a 2 s iperf3 TCP run from VIP to SRV, its
# receiver's rate noted.
iperf_from() {
	local vip=$1 srv=$2 port=$3 log=$4 rc
	iperf_server "$NS_SRV" "$srv" "$port" "$log.srv" || return 1
	nsx "$NS_BR" timeout 20 iperf3 -c "$srv" -p "$port" -B "$vip" -t 2 -J >"$log" 2>&1
	rc=$?
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
	[ $rc -eq 0 ] || { tail -n 5 "$log"; return 1; }
	note "iperf3 $vip -> $srv: $(json_get "$log" "'%.1f Mbit/s received' % (d['end']['sum_received']['bits_per_second'] / 1e6)")"
	[ "$(json_get "$log" "d['end']['sum_received']['bytes'] > 0")" = True ]
}

# 4
iperf_both() {
	iperf_from "$VIP4" "$SRV_V4" 5301 "$W/iperf4.json" && iperf_from "$VIP6" "$SRV_V6" 5302 "$W/iperf6.json"
}
check "iperf3 (TCP, 2 s) from each of alice's addresses to srv, IPv4 and IPv6, through espgate" iperf_both

# pools_json EXPR: a Python expression over `espgatectl --json pools`.
pools_json() { eg_ctl --json pools | json_get - "$1"; }

# 5
leases_listed() {
	eg_ctl pools | tee "$W/pools.txt"
	while read -r l; do note "$l"; done <"$W/pools.txt"
	[ "$(pools_json "sorted((p['name'], l['identity'], l['address']) for p in d['pools'] for l in p['leases'])")" = \
		"[('rw4', 'alice.example', '$VIP4'), ('rw6', 'alice.example', '$VIP6')]" ]
}
check "espgatectl pools: alice.example holds $POOL4's and $POOL6's leases" leases_listed

# 6
reconnect_keeps() {
	local was4=$VIP4 was6=$VIP6
	sw_terminate_ike br alice >/dev/null 2>&1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "alice's IKE SA stayed"; return 1; }
	alice_up || return 1
	[ "$VIP4" = "$was4" ] && [ "$VIP6" = "$was6" ] ||
		{ echo "alice came back with $VIP4 and $VIP6, not $was4 and $was6"; return 1; }
	nsx "$NS_BR" ping -6 -n -q -c 3 -i 0.2 -w 10 -I "$VIP6" "$SRV_V6" >/dev/null
}
check "alice disconnects and reconnects: the same two addresses (leases by identity), IPv6 pings again" reconnect_keeps

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
