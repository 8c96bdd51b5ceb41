#!/bin/bash
# Road warriors with virtual addresses (issue 17 item 1; RFC 7296 §2.19):
# charon in br plays three clients (alice, bob, carol: each its own
# address on br's WAN and its own identity) that ask for a virtual IPv4
# address (vips = 0.0.0.0) from espgate's connection "rw", whose pool
# "rw4" is 198.18.100.0/30: two addresses. Prints TAP. Needs root.
#
#   bash tests/e2e/remote_access.sh [BUILD_DIR]      (default: build)
#
# Points: alice gets an address and pings srv from it through espgate's
# data plane (the Child SA narrowed to it); bob gets the other one, both
# ping at once; `espgatectl pools` lists both leases; alice reconnects and
# keeps her address; carol finds the pool exhausted (INTERNAL_ADDRESS_FAILURE,
# counted); a reload with the same pool keeps the leases; after the clients
# leave, the leases are kept for their identities (lease time); and
# espgatectl sas lists an IKE SA espgate is still initiating.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=11
echo "1..$PLAN"

tap_start egra "namespaces, espgate with pool rw4, charon with three clients"
EG_LOG=$W/espgate.log
: >"$NOTES"
POOL_NET=198.18.100.0/30
declare -A CLIENT_ADDR=([alice]=203.0.113.2 [bob]=203.0.113.5 [carol]=203.0.113.6 [dave]=203.0.113.7 [erin]=203.0.113.8)

# ra_config FILE: the tunnel topology's espgate with only the connection
# "rw" (any peer, any identity with the PSK) and the pool rw4.
ra_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$GW_WAN_V4" "$TUN_PSK" "$TUN_IKE_PROPOSAL" "$TUN_ESP_PROPOSAL" \
		"$HQ_NET" "$POOL_NET" <<'PY'
import json, sys
src, dst, local, psk, ike, esp, hq, pool = sys.argv[1:]
d = json.load(open(src))
d["pools"] = [{"name": "rw4", "prefix": pool, "dns": ["198.18.2.53"],
               "split_include": [hq], "lease": 3600}]
d["connections"] = [{
    "name": "rw", "local": local, "remote": "any", "local_id": "hq.example",
    "psk": psk, "proposals": [ike], "pools": ["rw4"],
    "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool],
                  "esp_proposals": [esp]}]}]
json.dump(d, open(dst, "w"), indent=1)
PY
}

# sw_client NAME: charon connection NAME from its own address, identity
# NAME.example, asking for a virtual IPv4 address, child NAME-net.
sw_client() {
	local name=$1
	sw_conn br "$name" child="$name-net" local_addrs="${CLIENT_ADDR[$name]}" \
		remote_addrs="$GW_WAN_V4" local_id="$name.example" remote_id=hq.example \
		psk="$TUN_PSK" proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0 remote_ts="$HQ_NET"
}

setup() {
	local n
	suite_programs || return 1
	tunnel_topo_create || return 1
	for n in bob carol dave erin; do
		ip -n "$NS_BR" addr add "${CLIENT_ADDR[$n]}/24" dev "$BR_WAN" || return 1
	done
	ra_config "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	for n in alice bob carol; do sw_client "$n" || return 1; done
	# erin asks for no address: the pool connection wants her to
	sw_conn br erin child=erin-net local_addrs="${CLIENT_ADDR[erin]}" remote_addrs="$GW_WAN_V4" \
		local_id=erin.example remote_id=hq.example psk="$TUN_PSK" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		local_ts=198.18.100.0/30 remote_ts="$HQ_NET" || return 1
	# dave offers only what espgate does not take (issue 18's first case)
	sw_conn br dave child=dave-net local_addrs="${CLIENT_ADDR[dave]}" remote_addrs="$GW_WAN_V4" \
		local_id=dave.example remote_id=hq.example psk="$TUN_PSK" \
		proposals=aes128-sha256-modp4096 esp_proposals="$TUN_ESP_PROPOSAL" vips=0.0.0.0 \
		remote_ts="$HQ_NET" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with connection rw and pool rw4 ($POOL_NET); charon in br with clients alice, bob and carol" setup ||
	FATAL="setup failed"

# pools_json EXPR: a Python expression over `espgatectl --json pools`.
pools_json() { eg_ctl --json pools | json_get - "$1"; }

# up_and_ping NAME: NAME connects, has a virtual address from the pool,
# and pings srv from it (5, no loss) through espgate.
up_and_ping() {
	local name=$1 vip
	sw_initiate br "$name-net" 20 >"$W/up-$name.log" 2>&1 || { tail -n 5 "$W/up-$name.log"; return 1; }
	vip=$(tunnel_vip_of "$name") || { echo "charon lists no virtual IP for $name"; sw_list_sas_json br; return 1; }
	tunnel_vip_ping "$vip" "$POOL_NET" "$W/ping-$name.log" || return 1
	eval "VIP_$name=$vip"
	note "$name: virtual IP $vip; ping $SRV_V4 from it: $(grep -o '[0-9]* received' "$W/ping-$name.log")"
}

# 2: alice
alice_up() {
	up_and_ping alice || return 1
	# espgate's outbound data-plane SA: to alice's address alone
	[ "$(eg_json "[s['selector']['dst'] for s in d['sas'] if s['direction'] == 'out' and s['name'].startswith('rw')]")" = "['$VIP_alice/32']" ] ||
		{ echo "espgate's SAs: $(eg_json "[(s['name'], s['direction'], s['selector']) for s in d['sas']]")"; return 1; }
	grep -q "DNS server 198.18.2.53\|installing DNS server 198.18.2.53\|198.18.2.53" "$(sw_log br)" &&
		note "charon: $(grep -m1 '198.18.2.53' "$(sw_log br)" | sed 's/^[0-9:]* //')"
	return 0
}
check "alice asks for a virtual IPv4 address: gets one of $POOL_NET, espgate narrows her Child SA to it (remote_ts x/32), she pings srv from it through espgate (5, no loss)" alice_up

# 3: bob too, both at once
bob_up() {
	up_and_ping bob || return 1
	[ "$VIP_bob" != "$VIP_alice" ] || { echo "bob got alice's address $VIP_alice"; return 1; }
	nsx "$NS_BR" ping -n -q -c 3 -i 0.2 -w 10 -I "$VIP_alice" "$SRV_V4" >/dev/null ||
		{ echo "alice lost her tunnel when bob came"; return 1; }
}
check "bob connects meanwhile: gets the other address, both ping srv from their own" bob_up

# 4: espgatectl pools
pools_listed() {
	eg_ctl pools | tee "$W/pools.txt"
	while read -r l; do note "$l"; done <"$W/pools.txt"
	[ "$(pools_json "sorted((l['identity'], l['address'], l['sas']) for l in d['pools'][0]['leases'])")" = \
		"[('alice.example', '$VIP_alice', 1), ('bob.example', '$VIP_bob', 1)]" ] &&
		[ "$(pools_json "(d['pools'][0]['size'], d['pools'][0]['in_use'])")" = "(2, 2)" ]
}
check "espgatectl pools: rw4 of 2 addresses, both in use, alice's and bob's leases by identity" pools_listed

# 5: alice reconnects
alice_again() {
	local was=$VIP_alice
	sw_terminate_ike br alice >/dev/null 2>&1
	wait_for "[ \"\$(pools_json \"[l['sas'] for l in d['pools'][0]['leases'] if l['identity'] == 'alice.example']\")\" = '[0]' ]" 10 ||
		{ echo "alice's lease still held: $(eg_ctl pools)"; return 1; }
	up_and_ping alice || return 1
	[ "$VIP_alice" = "$was" ] || { echo "alice came back to $VIP_alice, not $was"; return 1; }
}
check "alice disconnects (her lease kept, 0 SAs) and reconnects: the same address, pings again" alice_again

# 6: carol finds the pool exhausted
carol_refused() {
	local before
	before=$(pools_json "d['pools'][0]['exhausted']")
	sw_initiate br carol-net 15 >"$W/up-carol.log" 2>&1
	grep -q "INTERNAL_ADDRESS_FAILURE" "$(sw_log br)" ||
		{ echo "charon was not told INTERNAL_ADDRESS_FAILURE"; tail -n 5 "$W/up-carol.log"; return 1; }
	note "charon: $(grep -m1 'INTERNAL_ADDRESS_FAILURE' "$(sw_log br)" | sed 's/^[0-9:]* //')"
	[ "$(pools_json "d['pools'][0]['exhausted']")" -gt "$before" ] ||
		{ echo "exhausted not counted: $(eg_ctl pools)"; return 1; }
	# at info level (espgate runs at info), with the peer and the connection
	wait_for "grep -q 'peer ${CLIENT_ADDR[carol]}, connection rw: pool rw4 has no address left' '$EG_LOG'" 5 ||
		{ echo "espgate logged no reason at info"; tail -n 5 "$EG_LOG"; return 1; }
	note "espgate: $(grep -m1 'pool rw4 has no address left' "$EG_LOG")"
	[ "$(eg_json "len([c for c in d['child_sas'] if c['conn'] == 'rw'])")" = 2 ] ||
		{ echo "Child SAs: $(eg_json "[(c['conn'], c['ike_id']) for c in d['child_sas']]")"; return 1; }
	sw_terminate_ike br carol >/dev/null 2>&1
	return 0
}
check "carol with both addresses taken: INTERNAL_ADDRESS_FAILURE (RFC 7296 §3.15.4), no Child SA for her, espgatectl pools counts it, espgate says why at info level" carol_refused

# 7: a reload that keeps the pool keeps its leases
reload_keeps() {
	local before after
	before=$(pools_json "sorted((l['identity'], l['address']) for l in d['pools'][0]['leases'])")
	eg_ctl reload >/dev/null || return 1
	after=$(pools_json "sorted((l['identity'], l['address']) for l in d['pools'][0]['leases'])")
	[ "$before" = "$after" ] || { echo "leases $before -> $after"; return 1; }
	nsx "$NS_BR" ping -n -q -c 3 -i 0.2 -w 10 -I "$VIP_bob" "$SRV_V4" >/dev/null
}
check "espgatectl reload of the same file: the pool and its leases stay, bob still pings" reload_keeps

# 8: the clients leave; their leases are kept
leases_kept() {
	sw_terminate_ike br alice >/dev/null 2>&1
	sw_terminate_ike br bob >/dev/null 2>&1
	wait_for "[ \"\$(pools_json \"d['pools'][0]['in_use']\")\" = 0 ]" 10 || { eg_ctl pools; return 1; }
	eg_ctl pools | sed 's/^/  /'
	[ "$(pools_json "d['pools'][0]['leased']")" = 2 ]
}
check "alice and bob leave: no address in use, both leases kept for their identities (lease 3600 s)" leases_kept

# 9: an IKE SA espgate is still initiating is listed (issue 18 item 2)
connecting_listed() {
	"$PY" - "$W/espgate.json" "$W/espgate-nowhere.json" <<'PY' || return 1
import copy, json, sys
d = json.load(open(sys.argv[1]))
c = copy.deepcopy(d["connections"][0])
c.update({"name": "nowhere", "remote": "203.0.113.9", "remote_id": "nowhere.example",
          "start": "start"})
del c["pools"]
c["children"][0]["remote_ts"] = ["198.18.9.0/24"]
d["connections"].append(c)
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
	cp "$W/espgate-nowhere.json" "$W/espgate.json" || return 1
	eg_ctl reload >/dev/null || return 1
	wait_for "[ \"\$(eg_json \"[(s['conn'], s['state'], s['initiator']) for s in d['ike_sas_connecting'] if s['retransmits'] >= 1]\")\" = \"[('nowhere', 'INIT_SENT', True)]\" ]" 8 ||
		{ echo "not listed: $(eg_json "d['ike_sas_connecting']")"; return 1; }
	eg_ctl sas | grep 'nowhere' | tee "$W/connecting.txt"
	note "$(cat "$W/connecting.txt")"
	grep -q 'INIT_SENT, IKEv2 initiator with 203.0.113.9:500, .* retransmissions' "$W/connecting.txt"
}
check "espgatectl sas lists an IKE SA espgate is initiating to a peer that does not answer: INIT_SENT, its age and retransmissions" connecting_listed

# 10: a refused proposal says what was offered and what is configured
no_proposal_logged() {
	local want="peer ${CLIENT_ADDR[dave]}, connection rw: IKE_SA_INIT refused, NO_PROPOSAL_CHOSEN: received proposals: aes128-sha256-prfsha256-modp4096; configured proposals: $TUN_IKE_PROPOSAL"
	sw_initiate br dave-net 10 >"$W/up-dave.log" 2>&1 && { echo "dave came up"; return 1; }
	grep -q "received NO_PROPOSAL_CHOSEN" "$(sw_log br)" || { echo "charon got no NO_PROPOSAL_CHOSEN"; return 1; }
	wait_for "grep -qF '$want' '$EG_LOG'" 5 ||
		{ echo "espgate's log lacks: $want"; grep -i proposal "$EG_LOG" | tail -n 3; return 1; }
	note "espgate: $(grep -m1 'NO_PROPOSAL_CHOSEN' "$EG_LOG")"
}
check "dave offers only aes128-sha256-modp4096: NO_PROPOSAL_CHOSEN, and espgate logs at info the peer, the connection, the proposals received and those configured" no_proposal_logged

# 11: no CFG_REQUEST on a pool connection
erin_refused() {
	sw_initiate br erin-net 10 >"$W/up-erin.log" 2>&1
	grep -q "received FAILED_CP_REQUIRED" "$(sw_log br)" ||
		{ echo "charon was not told FAILED_CP_REQUIRED"; tail -n 5 "$W/up-erin.log"; return 1; }
	note "charon: $(grep -m1 'FAILED_CP_REQUIRED' "$(sw_log br)" | sed 's/^[0-9:]* //')"
	[ "$(eg_json "len([s for s in d['sas'] if s['name'].startswith('rw') and s['selector']['dst'] == '198.18.100.0/30'])")" = 0 ] ||
		{ echo "espgate installed an SA for the whole pool"; return 1; }
	sw_terminate_ike br erin >/dev/null 2>&1
	return 0
}
check "erin asks for no virtual address but proposes the pool's range as her selectors: FAILED_CP_REQUIRED, no Child SA (never the pool's range)" erin_refused

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
