#!/bin/bash
# EAP-RADIUS (issue 17 item 2; RFC 3579) against a real FreeRADIUS: espgate's
# connection "rw" (remote_auth eap-radius) proves itself with its
# certificate and relays its clients' EAP to the RADIUS servers of its
# "radius" section: the first, 198.51.100.9, answers nobody (failover);
# the second is FreeRADIUS (Debian freeradius, -X) in its own namespace
# "rad" with a configuration this suite writes ($W/raddb: clients, users,
# EAP-MSCHAPv2, accounting into a detail file). charon in br is the client
# (eap-mschapv2 as alice or bob). Prints TAP. Needs root.
#
#   bash tests/e2e/radius.sh [BUILD_DIR]      (default: build)
#
# Points: alice authenticates through FreeRADIUS (after the first server
# times out), gets an address from pool rw4 and pings srv through
# espgate's data plane; espgatectl shows the IKE SA and the RADIUS
# counters (the failover's no-answer tries are radcli's, not counted as
# refusals); bob gets the Framed-IP-Address FreeRADIUS gives him as his
# virtual address; alice's and bob's terminations send Accounting Stop
# records: FreeRADIUS's detail file holds Start, Interim-Updates (every
# 2 s) and Stop for both, with
# Acct-Input/Output-Octets and Packets > 0 and the framed addresses; a
# wrong password is refused (Access-Reject: EAP-Failure and
# AUTHENTICATION_FAILED) and espgate says so at info.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
SW_PLUGINS="$SW_PLUGINS eap-mschapv2 eap-identity"
deps_need prog freeradius

PLAN=6
echo "1..$PLAN"

tap_start egrad "namespaces, FreeRADIUS, espgate with an EAP-RADIUS connection, charon"
EG_LOG=$W/espgate.log
TUN_PKI=$W/pki
POOL_NET=198.18.100.0/30
BOB_NET=198.18.100.8/29 # bob's Framed-IP-Address is from here, not from the pool
BOB_IP=198.18.100.9
ALICE_PW='correct horse battery staple'
BOB_PW='tr0ub4dor&3'
RAD_SECRET='radius-shared-secret'
RAD_GW_V4=198.51.100.1 RAD_V4=198.51.100.2 RAD_DEAD_V4=198.51.100.9
RADDB=$W/raddb
: >"$NOTES"

# radius_config FILE SECRETS: tunnel_rw_config with EAP-RADIUS, the two
# servers (the first one answers nobody), accounting, bob's network in
# the child's remote selectors; SECRETS holds the servers' secret.
radius_config() {
	printf '{"radius": {"%s": "%s", "%s": "%s"}}\n' "$RAD_DEAD_V4" "$RAD_SECRET" "$RAD_V4" \
		"$RAD_SECRET" >"$2" && chmod 600 "$2" || return 1
	tunnel_rw_config "$1.rw" eap-radius "$POOL_NET" "$2" || return 1
	"$PY" - "$1.rw" "$1" "$RAD_DEAD_V4" "$RAD_V4" "$BOB_NET" <<'PY'
import json, sys
src, dst, dead, rad, bob = sys.argv[1:]
d = json.load(open(src))
d["radius"] = {"servers": [{"address": dead}, {"address": rad}], "timeout": 1, "retries": 0,
               "accounting": True, "interim": 2, "nas_identifier": "espgate-test"}
d["connections"][0]["children"][0]["remote_ts"].append(bob)
json.dump(d, open(dst, "w"), indent=1)
PY
}

# rad_topo: namespace rad, a veth from gw's kernel (espgate's RADIUS
# client, not its data plane) to it.
rad_topo() {
	NS_RAD="${NETNS_ID}-rad"
	ns_create "$NS_RAD" || return 1
	veth_create "${NETNS_ID}r" "$NS_GW" "${NETNS_ID}q" "$NS_RAD" || return 1
	ip -n "$NS_GW" addr add "$RAD_GW_V4/24" dev "${NETNS_ID}r" &&
		ip -n "$NS_RAD" addr add "$RAD_V4/24" dev "${NETNS_ID}q" &&
		link_up "$NS_GW" "${NETNS_ID}r" && link_up "$NS_RAD" "${NETNS_ID}q"
}

# raddb_write: Debian's configuration copied, then ours: the client
# espgate, the users, EAP with MSCHAPv2 only, logs and the detail file
# under $W, no user change (root in a test namespace), Access-Reject at
# once (its default 1 s delay is the 1 s timeout espgate is given here).
raddb_write() {
	cp -r /etc/freeradius/3.0 "$RADDB" || return 1
	mkdir -p "$W/radlog" "$W/radrun" || return 1
	sed -i -e "s|^logdir = .*|logdir = $W/radlog|" -e "s|^run_dir = .*|run_dir = $W/radrun|" \
		-e 's|^\(\s*\)user = freerad|\1#user = freerad|' -e 's|^\(\s*\)group = freerad|\1#group = freerad|' \
		-e 's|^\(\s*\)reject_delay = .*|\1reject_delay = 0|' \
		"$RADDB/radiusd.conf" || return 1
	printf 'client espgate {\n\tipaddr = %s\n\tsecret = %s\n\trequire_message_authenticator = yes\n}\n' \
		"$RAD_GW_V4" "$RAD_SECRET" >"$RADDB/clients.conf" || return 1
	printf 'alice Cleartext-Password := "%s"\n\nbob Cleartext-Password := "%s"\n\tFramed-IP-Address = %s\n' \
		"$ALICE_PW" "$BOB_PW" "$BOB_IP" >"$RADDB/mods-config/files/authorize" || return 1
	rm -f "$RADDB/mods-enabled/eap" "$RADDB/sites-enabled/inner-tunnel"
	cat >"$RADDB/mods-enabled/eap" <<'EOF' || return 1
eap {
	default_eap_type = mschapv2
	timer_expire = 60
	ignore_unknown_eap_types = no
	cisco_accounting_username_bug = no
	max_sessions = ${max_requests}
	mschapv2 {
	}
}
EOF
}

rad_start() {
	raddb_write || return 1
	nsx "$NS_RAD" freeradius -CX -d "$RADDB" >"$W/radius-check.log" 2>&1 ||
		{ tail -n 20 "$W/radius-check.log"; return 1; }
	bg_run RAD_PID "$W/radius.log" ip netns exec "$NS_RAD" freeradius -X -d "$RADDB"
	wait_for "grep -q 'Ready to process requests' '$W/radius.log'" 15 ||
		{ echo "FreeRADIUS did not start"; tail -n 20 "$W/radius.log"; return 1; }
}

setup() {
	tunnel_rw_setup "$W/espgate.json" radius_setup_config || return 1
	tunnel_sw_eap alice "$ALICE_PW" && tunnel_sw_eap bob "$BOB_PW" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
# the topology's own, then rad's and FreeRADIUS before espgate starts
radius_setup_config() {
	rad_topo && rad_start && radius_config "$W/espgate.json" "$W/secrets.json"
}
check "namespaces host, br, gw, srv, rad; FreeRADIUS in rad ($RAD_V4) with alice and bob; espgate with connection rw (remote_auth eap-radius, servers $RAD_DEAD_V4 then $RAD_V4, secrets in its secrets file); charon in br as alice and bob" setup ||
	FATAL="setup failed"

# 2: alice through FreeRADIUS, after the first server's timeouts
alice_up() {
	local log
	log=$(sw_log br)
	tunnel_eap_initiate alice 30 || return 1
	grep -q "authentication of 'p256.example.org' with EAP successful" "$log" ||
		{ echo "charon did not verify espgate's MSK AUTH"; grep -i "with EAP" "$log"; return 1; }
	grep -q "Sent Access-Accept" "$W/radius.log" || { echo "FreeRADIUS sent no Access-Accept"; return 1; }
	note "FreeRADIUS: $(grep -m1 'Sent Access-Accept' "$W/radius.log")"
	# radcli asked the first server before FreeRADIUS: gw's kernel looked for it
	ip -n "$NS_GW" neigh show "$RAD_DEAD_V4" | grep -q "$RAD_DEAD_V4" ||
		{ echo "no attempt on the first server $RAD_DEAD_V4"; return 1; }
	note "gw's neighbour table: $(ip -n "$NS_GW" neigh show "$RAD_DEAD_V4") (the first server tried)"
	tunnel_vip_ping_of alice "$POOL_NET" "$W/ping.log"
}
check "alice authenticates with EAP-MSCHAPv2 run by FreeRADIUS ($RAD_DEAD_V4 timing out first), both MSK AUTHs verify (MS-MPPE keys), she gets an address of $POOL_NET and pings srv from it through espgate" alice_up

# 3: counters
radius_counters() {
	eg_ctl --json stats >"$W/stats.json" || return 1
	"$PY" - "$W/stats.json" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
r, ike = d["radius"], d["ike"]
print("radius:", {k: v for k, v in r.items() if v})
assert r["accepts"] == 1 and r["challenges"] >= 2 and r["rejects"] == 0, r
assert r["acct_sent"] >= 1 and r["acct_failed"] == 0, r
assert ike["radius_accepts"] == 1 and ike["radius_stale"] == 0 and ike["radius_timeouts"] == 0, ike
PY
	while read -r l; do note "$l"; done < <("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["radius"]; print("espgatectl stats radius:", {k: v for k, v in d.items() if v})' "$W/stats.json")
	tunnel_rw_listed
}
check "espgatectl stats: one Access-Accept after Access-Challenges, the Start sent, nothing stale or timed out; espgatectl sas lists alice's IKE SA and Child SA" radius_counters

# 4: bob's address is RADIUS's
bob_framed() {
	sw_initiate br bob-net 30 >"$W/up-bob.log" 2>&1 || { tail -n 8 "$W/up-bob.log"; return 1; }
	[ "$(tunnel_vip_of bob)" = "$BOB_IP" ] || { echo "bob's virtual IP: $(tunnel_vip_of bob), not $BOB_IP"; return 1; }
	tunnel_vip_ping_of bob "$BOB_NET" "$W/ping-bob.log"
}
check "bob gets FreeRADIUS's Framed-IP-Address $BOB_IP as his virtual address (no pool lease) and pings srv from it" bob_framed

# 5: accounting Stop records in the detail file
accounting() {
	local f
	sw_terminate_ike br alice >/dev/null 2>&1
	sw_terminate_ike br bob >/dev/null 2>&1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "IKE SAs stay: $(eg_sas_json)"; return 1; }
	wait_for "cat '$W'/radlog/radacct/*/detail-* | grep -c 'Acct-Status-Type = Stop' | grep -qx 2" 10 ||
		{ echo "no two Stop records"; cat "$W"/radlog/radacct/*/detail-* 2>/dev/null | tail -n 40; return 1; }
	f=$(ls "$W"/radlog/radacct/*/detail-* | head -n 1)
	"$PY" - "$f" "$BOB_IP" >"$W/detail.txt" <<'PY'
import re, sys
text, bob_ip = open(sys.argv[1]).read(), sys.argv[2]
recs = [dict(re.findall(r'^\s+([\w-]+) = "?([^"\n]*)"?$', r, re.M)) for r in text.split("\n\n") if r.strip()]
for user in ("alice", "bob"):
    mine = [r for r in recs if r.get("User-Name") == user]
    kinds = [r["Acct-Status-Type"] for r in mine]
    assert kinds[0] == "Start" and kinds[-1] == "Stop", (user, kinds)
    assert set(kinds[1:-1]) <= {"Interim-Update"}, (user, kinds)
    start, stop = mine[0], mine[-1]
    assert len({r["Acct-Session-Id"] for r in mine}) == 1, mine
    if user == "alice":  # up for several interim periods of 2 s
        assert "Interim-Update" in kinds, kinds
        assert int(mine[-2]["Acct-Input-Octets"]) > 0, mine[-2]
    for k in ("Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Packets", "Acct-Output-Packets"):
        assert int(stop[k]) > 0, (user, k, stop.get(k))
    print(user, kinds.count("Interim-Update"), "Interim-Updates; Stop:", {k: stop[k] for k in ("Acct-Session-Id", "Framed-IP-Address",
          "Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Packets", "Acct-Output-Packets",
          "Acct-Session-Time", "Acct-Terminate-Cause") if k in stop})
assert [r for r in recs if r.get("User-Name") == "bob"][1]["Framed-IP-Address"] == bob_ip
sids = {r["Acct-Session-Id"] for r in recs}
assert len(sids) == 2, sids
PY
	[ $? -eq 0 ] || { cat "$W/detail.txt"; return 1; }
	while read -r l; do note "detail file: $l"; done <"$W/detail.txt"
}
check "charon ends alice's and bob's IKE SAs: FreeRADIUS's detail file holds a Start, Interim-Updates every 2 s (alice: at least one, with octets) and a Stop for each (one Acct-Session-Id each, two in all) with Acct-Input/Output-Octets and -Packets > 0, bob's with Framed-IP-Address $BOB_IP" accounting

# 6: a wrong password
wrong_password() {
	local log want="connection rw: EAP-RADIUS: RADIUS Access-Reject"
	log=$(sw_log br)
	tunnel_sw_eap alice "not alice's password" && sw_load br >/dev/null || return 1
	sw_initiate br alice-net 20 >"$W/up-wrong.log" 2>&1 && { echo "alice came up with a wrong password"; return 1; }
	grep -q "received EAP_FAILURE\|received AUTHENTICATION_FAILED" "$log" ||
		{ echo "charon was not refused"; tail -n 8 "$W/up-wrong.log"; return 1; }
	note "charon: $(grep -m1 'received EAP_FAILURE\|received AUTHENTICATION_FAILED' "$log" | sed 's/^[0-9:.]* //')"
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; tail -n 5 "$EG_LOG"; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
	grep -q "Sent Access-Reject" "$W/radius.log" || { echo "FreeRADIUS sent no Access-Reject"; return 1; }
	[ "$(eg_json "len(d['ike_sas'])")" = 0 ] || { echo "an IKE SA is left: $(eg_sas_json)"; return 1; }
}
check "alice with a wrong password: FreeRADIUS's Access-Reject, EAP-Failure and AUTHENTICATION_FAILED, no SA, and espgate logs at info \"EAP-RADIUS: RADIUS Access-Reject ... for alice\"" wrong_password

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
