#!/bin/bash
# IKEv1 remote access (issue 17 item 4): XAUTH (draft-beaulieu-ike-xauth-02,
# generic) after main mode and Mode Config (draft-dukes-ike-mode-cfg-02)
# from espgate's pools. espgate's connection "rw" (version 1, PSK,
# "remote_auth": "xauth" against the secrets file's "eap" users, pool rw4,
# Mode Config pulled by the client); "rwpush" the same with
# "modecfg": "push" (picked by its proposal). charon in br speaks IKEv1
# (`version = 1`), local auth psk then xauth (the xauth-generic plugin) as
# alice, vips = 0.0.0.0, and with cisco_unity (the unity plugin) asks for
# Unity's attributes. Prints TAP. Needs root.
#
#   bash tests/e2e/xauth.sh [BUILD_DIR]      (default: build)
#
# Points: alice passes XAUTH, gets an address of the pool (Mode Config
# pull) and pings srv from it through espgate's data plane; charon got
# UNITY_SPLIT_INCLUDE (the pool's split include, HQ_NET); espgatectl pools
# lists alice's lease held by one SA; with a wrong password she is refused
# (XAUTH STATUS fail), espgate logs why at info level, no SA stays and the
# lease is let go; with push mode (charon pull = no) she gets her address
# from espgate's SET and pings again.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
SW_PLUGINS="$SW_PLUGINS xauth-generic unity"
SW_CHARON_EXTRA="cisco_unity = yes"
TUN_IKE_PROPOSAL=aes128-sha256-modp2048
PUSH_IKE_PROPOSAL=aes256-sha256-modp2048
TUN_ESP_PROPOSAL=aes128-sha256

PLAN=6
echo "1..$PLAN"

tap_start egxa "namespaces, espgate with IKEv1 XAUTH + Mode Config, charon as alice"
EG_LOG=$W/espgate.log
POOL_NET=198.18.100.0/30
ALICE_PW='correct horse battery staple'
: >"$NOTES"

# xa_config FILE SECRETS: the topology's espgate with the connections rw
# (pull) and rwpush (push) and the pool rw4; SECRETS holds alice's password.
xa_config() {
	tunnel_espgate_config "$1.in" "${XA_LOG_LEVEL:-info}" || return 1
	printf '{"eap": {"alice": "%s"}}\n' "$ALICE_PW" >"$2" && chmod 600 "$2" || return 1
	"$PY" - "$1.in" "$1" "$2" "$GW_WAN_V4" "$TUN_PSK" "$TUN_IKE_PROPOSAL" "$PUSH_IKE_PROPOSAL" \
		"$TUN_ESP_PROPOSAL" "$HQ_NET" "$POOL_NET" <<'PY'
import json, sys
src, dst, secrets, local, psk, ike, ike_push, esp, hq, pool = sys.argv[1:]
d = json.load(open(src))
d.setdefault("ike", {})["secrets"] = secrets
d["pools"] = [{"name": "rw4", "prefix": pool, "dns": ["198.18.2.53"],
               "split_include": [hq], "lease": 3600}]
def conn(name, proposal, extra):
    c = {"name": name, "version": 1, "local": local, "remote": "any",
         "psk": psk, "proposals": [proposal], "remote_auth": "xauth", "pools": ["rw4"],
         "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool],
                       "esp_proposals": [esp]}]}
    c.update(extra)
    return c
d["connections"] = [conn("rw", ike, {}), conn("rwpush", ike_push, {"modecfg": "push"})]
json.dump(d, open(dst, "w"), indent=1)
PY
}

# sw_alice PASSWORD [PROPOSAL [MORE...]]: charon's IKEv1 connection alice:
# PSK, then XAUTH as alice with PASSWORD, a virtual IPv4 address asked for.
sw_alice() {
	local pw=$1 prop=${2:-$TUN_IKE_PROPOSAL} dir
	shift 2 2>/dev/null || shift $#
	sw_conn br alice child=alice-net version=1 local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		psk="$TUN_PSK" local2.auth=xauth local2.xauth_id=alice \
		proposals="$prop" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0 remote_ts="$HQ_NET" "$@" || return 1
	dir=$(sw_dir br)/conns/alice
	printf 'xauth-alice {\n  id = alice\n  secret = "%s"\n}\n' "$pw" >>"$dir/secrets"
}

# pools_json EXPR: a Python expression over `espgatectl --json pools`.
pools_json() { eg_ctl --json pools | json_get - "$1"; }

setup() {
	suite_programs || return 1
	tunnel_topo_create || return 1
	xa_config "$W/espgate.json" "$W/secrets.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	sw_alice "$ALICE_PW" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with IKEv1 connections rw (XAUTH, pool rw4, Mode Config pull) and rwpush (push); charon in br as alice (version 1, psk + xauth-generic, vips 0.0.0.0, cisco_unity)" setup ||
	FATAL="setup failed"

# 2: alice up through XAUTH and Mode Config, pings srv
alice_up() {
	local log vip
	log=$(sw_log br)
	sw_initiate br alice-net 20 >"$W/up-alice.log" 2>&1 || { tail -n 8 "$W/up-alice.log"; return 1; }
	grep -q "XAuth authentication of 'alice' (myself) successful" "$log" ||
		{ echo "charon did not pass XAUTH"; grep -i xauth "$log" | tail -n 5; return 1; }
	note "charon: $(grep -m1 "XAuth authentication of 'alice'" "$log" | sed 's/^[0-9:.]* //')"
	vip=$(tunnel_vip_of alice) || { echo "charon lists no virtual IP for alice"; return 1; }
	tunnel_vip_ping "$vip" "$POOL_NET" "$W/ping.log" || return 1
	VIP_alice=$vip
	# espgate's outbound data-plane SA: to alice's address alone
	[ "$(eg_json "[s['selector']['dst'] for s in d['sas'] if s['direction'] == 'out']")" = "['$vip/32']" ] ||
		{ echo "espgate's SAs: $(eg_json "[(s['name'], s['direction'], s['selector']) for s in d['sas']]")"; return 1; }
	note "alice: virtual IP $vip (Mode Config REPLY); ping $SRV_V4 from it: $(grep -o '[0-9]* received' "$W/ping.log")"
}
check "alice passes XAUTH (charon: XAuth authentication successful), gets an address of $POOL_NET by Mode Config, espgate narrows the IPsec SA to it (x/32), she pings srv from it through espgate (5, no loss)" alice_up

# 3: Cisco Unity's split include
unity_split() {
	local log
	log=$(sw_log br)
	grep -q "processing UNITY_SPLIT_INCLUDE attribute" "$log" ||
		{ echo "charon got no UNITY_SPLIT_INCLUDE"; grep -i "attribute" "$log" | tail -n 8; return 1; }
	note "charon: $(grep -m1 'processing UNITY_SPLIT_INCLUDE' "$log" | sed 's/^[0-9:.]* //')"
	grep -q "CPRP(ADDR U_SPLITINC)" "$log" ||
		{ echo "espgate's reply is not the address and the split include alone"; grep CPRP "$log"; return 1; }
	note "charon: $(grep -m1 'CPRP(' "$log" | sed 's/^[0-9:.]* //')"
	grep -q "CHILD_SA alice-net{[0-9]*} established .* TS ${VIP_alice:-?}/32 === $HQ_NET" "$log" ||
		{ echo "charon's IPsec SA is not $VIP_alice/32 === $HQ_NET"; grep "CHILD_SA alice-net" "$log"; return 1; }
	note "charon: $(grep -m1 'CHILD_SA alice-net.* established' "$log" | sed 's/^[0-9:.]* //')"
}
check "charon (unity plugin) asks for the address, UNITY_SPLIT_INCLUDE and UNITY_LOCAL_LAN and gets the address and the pool's split include alone (no local LAN configured: left out); its quick mode, which proposes more than $HQ_NET for espgate's side (unity), narrowed by espgate to $HQ_NET" unity_split

# 4: espgatectl pools
pools_listed() {
	eg_ctl pools | tee "$W/pools.txt"
	while read -r l; do note "$l"; done <"$W/pools.txt"
	[ "$(pools_json "[(l['identity'], l['address'], l['sas']) for l in d['pools'][0]['leases']]")" = \
		"[('alice', '${VIP_alice:-?}', 1)]" ]
}
check "espgatectl pools: rw4 with alice's lease (by her XAUTH user name) held by one SA" pools_listed

# 5: a wrong XAUTH password
wrong_password() {
	local log want='XAUTH for user "alice" refused: wrong password'
	log=$(sw_log br)
	sw_terminate_ike br alice >/dev/null 2>&1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "alice's IKE SA stays"; return 1; }
	sw_alice "not alice's password" && sw_load br >/dev/null || return 1
	sw_initiate br alice-net 15 >"$W/up-wrong.log" 2>&1 && { echo "alice came up with a wrong password"; return 1; }
	grep -q "XAuth authentication of 'alice' (myself) failed\|received FAILURE status" "$log" ||
		{ echo "charon was not refused"; grep -i xauth "$log" | tail -n 5; return 1; }
	note "charon: $(grep -m1 "XAuth authentication of 'alice' (myself) failed\|received FAILURE status" "$log" | sed 's/^[0-9:.]* //')"
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; tail -n 5 "$EG_LOG"; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "an IKE SA is left: $(eg_sas_json)"; return 1; }
	[ "$(pools_json "[l['sas'] for l in d['pools'][0]['leases']]")" = "[0]" ] ||
		{ echo "lease still held: $(eg_ctl pools)"; return 1; }
}
check "alice with a wrong XAUTH password: STATUS fail, espgate logs at info the peer, the connection and 'XAUTH for user \"alice\" refused: wrong password', deletes the SA; the lease is not held" wrong_password

# 6: Mode Config push
push_up() {
	local vip
	sw_alice "$ALICE_PW" "$PUSH_IKE_PROPOSAL" pull=no && sw_load br >/dev/null || return 1
	sw_initiate br alice-net 20 >"$W/up-push.log" 2>&1 || { tail -n 8 "$W/up-push.log"; return 1; }
	[ "$(eg_json "[s['conn'] for s in d['ike_sas']]")" = "['rwpush']" ] ||
		{ echo "espgate's SAs: $(eg_sas_json)"; return 1; }
	vip=$(tunnel_vip_of alice) || { echo "charon lists no virtual IP for alice"; return 1; }
	[ "$vip" = "${VIP_alice:-?}" ] || { echo "alice got $vip, not her lease ${VIP_alice:-?}"; return 1; }
	tunnel_vip_ping "$vip" "$POOL_NET" "$W/ping-push.log" || return 1
	note "alice (push): virtual IP $vip from espgate's SET, as her lease; ping: $(grep -o '[0-9]* received' "$W/ping-push.log")"
}
check "Mode Config push (connection rwpush, charon pull = no): alice passes XAUTH, gets her leased address from espgate's SET and pings srv from it" push_up

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
