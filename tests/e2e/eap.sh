#!/bin/bash
# EAP-MSCHAPv2 in IKE_AUTH (issue 17 item 2; RFC 7296 §2.16, RFC 2759):
# espgate's connection "rw" proves itself with its certificate (p256 of
# tests/unit/certs/make.sh's PKI) and checks its clients' passwords with
# EAP-MSCHAPv2 against the secrets file's "eap" users; charon in br is
# the client alice (local auth = eap-mschapv2, eap_id = alice; remote
# auth = pubkey), asking for a virtual IPv4 address from pool rw4.
# Prints TAP. Needs root.
#
#   bash tests/e2e/eap.sh [BUILD_DIR]      (default: build)
#
# Points: alice authenticates (charon: EAP-MS-CHAPv2 succeeded, the
# responder's certificate and its MSK AUTH verified), gets an address
# from the pool and her Child SA, and pings srv from it through espgate's
# data plane; espgatectl sas lists the IKE SA and the Child SA; with a
# wrong password she is refused (EAP-Failure and AUTHENTICATION_FAILED)
# and espgate says why at info level; after the secrets file gives alice
# that password and espgatectl reload, she comes up with it.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
SW_PLUGINS="$SW_PLUGINS eap-mschapv2 eap-identity"

PLAN=5
echo "1..$PLAN"

tap_start egeap "namespaces, espgate with an EAP-MSCHAPv2 connection, charon as alice"
EG_LOG=$W/espgate.log
TUN_PKI=$W/pki
POOL_NET=198.18.100.0/30
ALICE_PW='correct horse battery staple'
: >"$NOTES"

# eap_config FILE SECRETS: tunnel_rw_config with EAP-MSCHAPv2; SECRETS
# holds alice's password.
eap_config() {
	printf '{"eap": {"alice": "%s"}}\n' "$ALICE_PW" >"$2" && chmod 600 "$2" || return 1
	tunnel_rw_config "$1" eap-mschapv2 "$POOL_NET" "$2"
}

# sw_alice PASSWORD: charon's connection alice with that EAP secret.
sw_alice() { tunnel_sw_eap alice "$1"; }

setup() {
	tunnel_rw_setup "$W/espgate.json" eap_config "$W/espgate.json" "$W/secrets.json" || return 1
	sw_alice "$ALICE_PW" || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with connection rw (certificate p256, remote_auth eap-mschapv2, pool rw4) and alice's password in its secrets file; charon in br as alice (eap-mschapv2, eap_id alice)" setup ||
	FATAL="setup failed"

# 2: alice comes up and pings srv
alice_up() {
	local log
	log=$(sw_log br)
	tunnel_eap_initiate alice 20 || return 1
	grep -q "authentication of 'p256.example.org' with RSA\|authentication of 'p256.example.org' with ECDSA\|authentication of 'p256.example.org' with .* successful" "$log" ||
		{ echo "charon did not verify espgate's certificate AUTH"; grep authentication "$log"; return 1; }
	note "charon: $(grep -m1 "authentication of 'p256.example.org'" "$log" | sed 's/^[0-9:.]* //')"
	grep -q "authentication of 'alice' (myself) with EAP successful\|authentication of 'p256.example.org' with EAP successful" "$log" ||
		{ echo "charon did not log the MSK AUTHs"; grep -i "with EAP" "$log"; return 1; }
	note "charon: $(grep -m1 "with EAP successful" "$log" | sed 's/^[0-9:.]* //')"
	tunnel_vip_ping_of alice "$POOL_NET" "$W/ping.log"
}
check "alice authenticates with EAP-MSCHAPv2 (charon: MS-CHAPv2 succeeded, espgate's certificate AUTH and both MSK AUTHs verified), gets an address of $POOL_NET and pings srv from it through espgate (5, no loss)" alice_up

# 3: espgatectl sas
check "espgatectl sas: the IKE SA of rw ESTABLISHED and its Child SA" tunnel_rw_listed

# 4: a wrong password
wrong_password() {
	local log want="connection rw: EAP-MSCHAPv2: wrong password for alice, AUTHENTICATION_FAILED"
	log=$(sw_log br)
	sw_terminate_ike br alice >/dev/null 2>&1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "alice's IKE SA stays"; return 1; }
	sw_alice "not alice's password" && sw_load br >/dev/null || return 1
	sw_initiate br alice-net 15 >"$W/up-wrong.log" 2>&1 && { echo "alice came up with a wrong password"; return 1; }
	grep -q "received EAP_FAILURE\|EAP method EAP_MSCHAPV2 failed\|received AUTHENTICATION_FAILED" "$log" ||
		{ echo "charon was not refused"; tail -n 8 "$W/up-wrong.log"; return 1; }
	note "charon: $(grep -m1 'received EAP_FAILURE\|received AUTHENTICATION_FAILED' "$log" | sed 's/^[0-9:.]* //')"
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; tail -n 5 "$EG_LOG"; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
	[ "$(eg_json "len(d['ike_sas'])")" = 0 ] || { echo "an IKE SA is left: $(eg_sas_json)"; return 1; }
}
check "alice with a wrong password: EAP-Failure and AUTHENTICATION_FAILED, no SA, and espgate logs at info the peer, the connection and \"EAP-MSCHAPv2: wrong password for alice\"" wrong_password

# 5: a reload re-reads the EAP users
reload_password() {
	local log ok
	log=$(sw_log br)
	ok=$(grep -c "EAP-MS-CHAPv2 succeeded" "$log")
	printf '{"eap": {"alice": "%s"}}\n' "not alice's password" >"$W/secrets.json" || return 1
	eg_ctl reload >"$W/reload.txt" || { cat "$W/reload.txt"; return 1; }
	wait_for "[ \$(grep -c 'IKE: 1 EAP-MSCHAPv2 users' '$EG_LOG') -ge 2 ]" 5 ||
		{ echo "espgate did not load the users again"; tail -n 3 "$EG_LOG"; return 1; }
	sw_initiate br alice-net 20 >"$W/up-reload.log" 2>&1 || { tail -n 8 "$W/up-reload.log"; return 1; }
	[ "$(grep -c "EAP-MS-CHAPv2 succeeded" "$log")" -gt "$ok" ] || { echo "no new EAP-MS-CHAPv2 success"; return 1; }
	[ "$(eg_json "[(s['conn'], s['state']) for s in d['ike_sas']]")" = "[('rw', 'ESTABLISHED')]" ] ||
		{ echo "espgate's SAs: $(eg_sas_json)"; return 1; }
	tunnel_vip_ping "$(tunnel_vip_of alice)" "$POOL_NET" "$W/ping-reload.log"
}
check "the secrets file gives alice the password charon now has; espgatectl reload: she authenticates with it and pings srv again" reload_password

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
