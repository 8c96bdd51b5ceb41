#!/bin/bash
# MOBIKE (issue 17 item 3; RFC 4555): charon in br is a road warrior
# (mobike = yes, a virtual address from espgate's pool rw4) that pings srv
# through espgate; mid-ping its WAN address changes (203.0.113.2 ->
# 203.0.113.3: ip addr add/del in br's namespace), charon notices through
# kernel-netlink and sends UPDATE_SA_ADDRESSES; espgate moves the IKE SA
# and its Child SA to the new address without a new exchange. Prints TAP.
# Needs root.
#
#   bash tests/e2e/mobike.sh [BUILD_DIR]      (default: build)
#
# Points: MOBIKE agreed in IKE_AUTH; the ping goes on (a gap of at most
# 2 s); espgate's IKE SA names the new address, no second IKE_SA_INIT
# came (ike.init_requests 1), UPDATE_SA_ADDRESSES taken, the Child SA
# moved with its SPIs (its outbound SA re-pointed, sa_moved); charon's
# kernel-libipsec cannot update an SA's addresses, so charon then rekeys
# its Child SA (CREATE_CHILD_SA on the same IKE SA, new SPIs at the new
# address): checked as such; espgate's info line says so. The unit suite
# ike_mobike checks the SPIs kept from both ends.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=6
echo "1..$PLAN"

# esp=2: libipsec says "updating SAD entry" when it updates an SA (point 5)
SW_LOG_LEVELS="default=1 ike=2 cfg=1 knl=1 net=1 chd=2 esp=2"
tap_start egmb "namespaces, espgate with pool rw4, charon as a MOBIKE road warrior"
EG_LOG=$W/espgate.log
: >"$NOTES"
POOL_NET=198.18.100.0/30
NEW_WAN_V4=203.0.113.3

# mb_config FILE: the tunnel topology's espgate with only the connection
# "rw" (any peer, the PSK, MOBIKE as by default) and the pool rw4.
mb_config() {
	tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$GW_WAN_V4" "$TUN_PSK" "$TUN_IKE_PROPOSAL" "$TUN_ESP_PROPOSAL" \
		"$HQ_NET" "$POOL_NET" <<'PY'
import json, sys
src, dst, local, psk, ike, esp, hq, pool = sys.argv[1:]
d = json.load(open(src))
d["pools"] = [{"name": "rw4", "prefix": pool}]
d["connections"] = [{
    "name": "rw", "local": local, "remote": "any", "local_id": "hq.example",
    "psk": psk, "proposals": [ike], "pools": ["rw4"],
    "children": [{"name": "net", "local_ts": [hq], "remote_ts": [pool],
                  "esp_proposals": [esp]}]}]
json.dump(d, open(dst, "w"), indent=1)
PY
}

setup() {
	suite_programs || return 1
	tunnel_topo_create || return 1
	mb_config "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	SW_INSTALL_ROUTES=yes sw_setup br "$NS_BR" || return 1
	# no local_addrs: charon may leave 203.0.113.2 for another address
	sw_conn br alice child=alice-net remote_addrs="$GW_WAN_V4" mobike=yes \
		local_id=alice.example remote_id=hq.example psk="$TUN_PSK" \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0 remote_ts="$HQ_NET" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with connection rw (mobike by default) and pool rw4; charon in br as alice with mobike = yes" setup ||
	FATAL="setup failed"

stat_of() { eg_ctl --json stats | json_get - "$1"; }

# 2: up, MOBIKE agreed, pinging
alice_up() {
	sw_initiate br alice-net 20 >"$W/up.log" 2>&1 || { tail -n 5 "$W/up.log"; return 1; }
	VIP=$(tunnel_vip_of alice) || { echo "charon lists no virtual IP"; return 1; }
	tunnel_vip_ping "$VIP" "$POOL_NET" "$W/ping0.log" || return 1
	grep -q "MOBIKE" "$(sw_log br)" ||
		{ echo "charon's log says nothing of MOBIKE"; return 1; }
	grep -E -q "mobike|MOBIKE" <(sw_list_sas_json br) || note "charon's --list-sas JSON has no MOBIKE flag"
	SPIS0=$(eg_json "sorted((c['spi_in'], c['spi_out']) for c in d['child_sas'] if c['conn'] == 'rw')")
	IKE0=$(eg_json "[(s['id'], s['remote']) for s in d['ike_sas'] if s['conn'] == 'rw']")
	IKE_ID0=$(eg_json "[s['id'] for s in d['ike_sas'] if s['conn'] == 'rw']")
	SPI_IN0=$(eg_json "[c['spi_in'] for c in d['child_sas'] if c['conn'] == 'rw'][0]")
	SPI_OUT0=$(eg_json "[c['spi_out'] for c in d['child_sas'] if c['conn'] == 'rw'][0]")
	note "before: IKE SA $IKE0, Child SA SPIs $SPIS0, virtual IP $VIP"
	[ "$(stat_of "d['ike']['init_requests']")" = 1 ] || { echo "init_requests: $(stat_of "d['ike']['init_requests']")"; return 1; }
}
check "alice connects (virtual IP from rw4, MOBIKE agreed) and pings srv through espgate" alice_up

# 3: the address changes mid-ping; traffic resumes within 2 s
roam() {
	local gap
	nsx "$NS_BR" ping -n -D -i 0.1 -w 12 -I "$VIP" "$SRV_V4" >"$W/ping-roam.log" 2>&1 &
	local ping=$!
	sleep 2
	# the old address is the primary: without promotion its removal
	# takes the new one with it
	nsx "$NS_BR" sysctl -qw "net.ipv4.conf.$BR_WAN.promote_secondaries=1" || return 1
	ip -n "$NS_BR" addr add "$NEW_WAN_V4/24" dev "$BR_WAN" || return 1
	ip -n "$NS_BR" addr del "$BR_WAN_V4/24" dev "$BR_WAN" || return 1
	wait "$ping"
	gap=$("$PY" - "$W/ping-roam.log" <<'PY'
import re, sys
t = [float(m.group(1)) for m in re.finditer(r'^\[(\d+\.\d+)\] \d+ bytes from', open(sys.argv[1]).read(), re.M)]
gaps = [b - a for a, b in zip(t, t[1:])]
print("%.2f %d %.2f" % (max(gaps) if gaps else 99, len(t), t[-1] - t[0] if t else 0))
PY
) || return 1
	note "ping across the move: largest gap, answers, span: $gap"
	grep -E "address change|MOBIKE|updating SAD|REKEY_SA" "$(sw_log br)" | sed 's/^/charon: /' >>"$NOTES"
	read -r g n span <<<"$gap"
	"$PY" -c 'import sys; g, n, s = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]); sys.exit(not (g <= 2.0 and n >= 60 and s >= 10))' \
		"$g" "$n" "$span" || { echo "largest gap ${g}s, $n answers over ${span}s"; tail -n 5 "$W/ping-roam.log"; return 1; }
}
check "br's WAN address changes mid-ping (203.0.113.2 -> $NEW_WAN_V4): the answers go on with no gap over 2 s" roam

# 4: the same IKE SA, its Child SA moved with its SPIs
same_sa() {
	local ike
	ike=$(eg_json "[(s['id'], s['remote']) for s in d['ike_sas'] if s['conn'] == 'rw']")
	note "after: IKE SA $ike"
	[ "$(eg_json "[s['id'] for s in d['ike_sas'] if s['conn'] == 'rw']")" = "$IKE_ID0" ] ||
		{ echo "IKE SA $IKE0 -> $ike"; return 1; }
	case $ike in *"$NEW_WAN_V4"*) ;; *) echo "espgate's IKE SA is not at $NEW_WAN_V4: $ike"; return 1 ;; esac
	[ "$(stat_of "d['ike']['init_requests']")" = 1 ] || { echo "a new IKE_SA_INIT: init_requests $(stat_of "d['ike']['init_requests']")"; return 1; }
	[ "$(stat_of "d['ike']['mobike_updates']")" -ge 1 ] || { echo "mobike_updates 0"; return 1; }
	# RFC 4555 §3.5: espgate's return routability check, answered by charon
	[ "$(stat_of "d['ike']['mobike_checks']")" -ge 1 ] || { echo "mobike_checks 0"; return 1; }
	grep -m1 "parsed INFORMATIONAL request [0-9]* \[ N(COOKIE2) \]" "$(sw_log br)" | sed 's/^[0-9:.]* /charon: /' |
		tee -a "$NOTES" | grep -q . || { echo "charon got no return routability check"; grep COOKIE2 "$(sw_log br)"; return 1; }
	[ "$(stat_of "d['control']['sa_moved']")" -ge 1 ] || { echo "sa_moved 0"; return 1; }
	[ "$(stat_of "d['control']['sa_move_failed']")" = 0 ] || { echo "sa_move_failed"; return 1; }
	# the Child SA charon had when it moved: moved by espgate, SPIs kept
	grep -m1 "Child SA net of rw moved to $NEW_WAN_V4:4500, UDP-encapsulated: SPIs in 0x$SPI_IN0 out 0x$SPI_OUT0 kept" "$EG_LOG" |
		tee -a "$NOTES" | grep -q . || { grep "moved" "$EG_LOG"; return 1; }
}
check "espgate: the same IKE SA now at $NEW_WAN_V4, no new IKE_SA_INIT (init_requests 1), one UPDATE_SA_ADDRESSES taken, espgate's return routability check (COOKIE2) answered by charon, the Child SA moved with its SPIs (its outbound SA re-pointed: sa_moved, none failed)" same_sa

# 5: charon's kernel-libipsec cannot update an SA's addresses (its
# update_sa is not supported: libipsec never logs "updating SAD entry"),
# so charon rekeys the Child SA after the move (strongSwan's fallback);
# espgate takes the rekey on the same IKE SA, at the new address.
charon_rekeys() {
	local spis
	if grep -q "updating SAD entry" "$(sw_log br)"; then
		note "charon updated its SAs in place"
		[ "$(eg_json "sorted((c['spi_in'], c['spi_out']) for c in d['child_sas'] if c['conn'] == 'rw')")" = "$SPIS0" ]
		return
	fi
	grep -q "generating CREATE_CHILD_SA request [0-9]* \[ N(REKEY_SA)" "$(sw_log br)" ||
		{ echo "charon neither updated nor rekeyed its Child SA"; return 1; }
	wait_for "[ \"\$(eg_json \"len([c for c in d['child_sas'] if c['conn'] == 'rw'])\")\" = 1 ]" 10 || return 1
	spis=$(eg_json "sorted((c['spi_in'], c['spi_out']) for c in d['child_sas'] if c['conn'] == 'rw')")
	note "charon rekeyed its Child SA after the move (kernel-libipsec cannot update SAs): SPIs $SPIS0 -> $spis"
	[ "$(eg_json "[s['dst'] for s in d['sas'] if s['direction'] == 'out' and s['name'].startswith('rw')]")" = "['$NEW_WAN_V4']" ] ||
		{ echo "outbound SAs: $(eg_json "[(s['name'], s['dst']) for s in d['sas']]")"; return 1; }
	[ "$(stat_of "d['ike']['init_requests']")" = 1 ] &&
		nsx "$NS_BR" ping -n -q -c 3 -i 0.2 -w 5 -I "$VIP" "$SRV_V4" >/dev/null
}
check "charon (kernel-libipsec cannot update an SA) rekeys its Child SA after the move: espgate's new Child SA is at $NEW_WAN_V4 on the same IKE SA, pings go on" charon_rekeys

# 6: said at info
logged() {
	grep -m1 "moved by the peer (MOBIKE) from 203.0.113.2:4500 to $NEW_WAN_V4" "$EG_LOG" | tee -a "$NOTES" | grep -q . ||
		{ grep -i "mobike\|moved" "$EG_LOG" | tail -n 5; return 1; }
}
check "espgate logs the move at info: from the old address to the new" logged

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
