#!/bin/bash
# EAP-TLS and EAP-Identity in IKE_AUTH (issue 17 item 2; RFC 7296 §2.16,
# RFC 5216, RFC 3748 §5.1): espgate's connection "rw" proves itself with
# its certificate (p256 of tests/unit/certs/make.sh's PKI) and checks its
# clients' certificates with EAP-TLS against its cacerts (the test CA);
# charon in br is the client (local auth = eap-tls with the certificate
# alice, of the test CA; remote auth = pubkey), asking for a virtual IPv4
# address from pool rw4. Prints TAP. Needs root.
#
#   bash tests/e2e/eap_tls.sh [BUILD_DIR]      (default: build)
#
# Points: alice authenticates (charon: EAP_TLS succeeded, espgate's
# certificate and the MSK AUTHs verified), gets an address from the pool
# and pings srv from it through espgate's data plane; espgatectl sas
# lists the IKE SA; eve, whose certificate is of another CA, is refused
# and espgate says why at info level; charon with its address as IDi and
# eap_id alice.example.org is asked for its EAP identity (EAP-Identity)
# and comes up; charon that offers only EAP-MSCHAPv2 answers the EAP-TLS
# request with a Nak and is refused, espgate naming both methods; with
# "eap_identity": true (reload), an IDi that the certificate does not
# name (mallory.example.org; the EAP identity alice.example.org picks
# alice's certificate) is refused; with "eap_only": true (reload),
# charon whose remote auth is eap-tls (it offers EAP-only authentication,
# RFC 5998, as every charon using EAP does) gets no certificate AUTH of
# espgate's, only EAP-TLS and the MSK AUTH.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
SW_PLUGINS="$SW_PLUGINS eap-tls eap-identity eap-mschapv2"

PLAN=8
echo "1..$PLAN"

tap_start egetls "namespaces, espgate with an EAP-TLS connection, charon as alice"
EG_LOG=$W/espgate.log
TUN_PKI=$W/pki
POOL_NET=198.18.101.0/30
: >"$NOTES"

# sw_client NAME CERT [key=value...]: charon's connection NAME with the
# certificate CERT of the PKI (EAP-TLS unless the extra keys say else).
sw_client() {
	local conn=$1 cert=$2
	shift 2
	sw_conn br "$conn" child="$conn-net" local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_auth=eap-tls local_certs="$TUN_PKI/$cert.pem" private_key="$TUN_PKI/$cert.key" \
		remote_auth=pubkey remote_id=p256.example.org \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
		vips=0.0.0.0 remote_ts="$HQ_NET" "$@"
}

setup() {
	tunnel_rw_setup "$W/espgate.json" tunnel_rw_config "$W/espgate.json" eap-tls "$POOL_NET" || return 1
	sw_client alice alice local_id=alice.example.org || return 1
	sw_start br && sw_load br >/dev/null || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with connection rw (certificate p256, remote_auth eap-tls by the test CA, pool rw4); charon in br as alice (eap-tls, certificate alice.example.org)" setup ||
	FATAL="setup failed"

# sw_down CONN: charon's IKE SA of CONN gone, and espgate's.
sw_down() {
	sw_terminate_ike br "$1" >/dev/null 2>&1
	wait_for "[ \"\$(eg_json \"len(d['ike_sas'])\")\" = 0 ]" 10 || { echo "an IKE SA stays: $(eg_sas_json)"; return 1; }
}

# 2: alice comes up and pings srv
alice_up() {
	local log
	log=$(sw_log br)
	sw_initiate br alice-net 20 >"$W/up-alice.log" 2>&1 || { tail -n 8 "$W/up-alice.log"; return 1; }
	grep -q "EAP method EAP_TLS succeeded" "$log" || { echo "charon did not log EAP-TLS success"; grep -i "eap\|tls" "$log" | tail -n 8; return 1; }
	note "charon: $(grep -m1 'EAP method EAP_TLS succeeded' "$log" | sed 's/^[0-9:.]* //')"
	grep -q "authentication of 'p256.example.org' with .* successful" "$log" ||
		{ echo "charon did not verify espgate's certificate AUTH"; grep authentication "$log"; return 1; }
	grep -q "authentication of 'p256.example.org' with EAP successful" "$log" ||
		{ echo "charon did not verify espgate's MSK AUTH"; grep -i "with EAP" "$log"; return 1; }
	note "charon: $(grep -m1 "with EAP successful" "$log" | sed 's/^[0-9:.]* //')"
	tunnel_vip_ping_of alice "$POOL_NET" "$W/ping.log"
}
check "alice authenticates with EAP-TLS (charon: EAP_TLS succeeded, espgate's certificate AUTH and the MSK AUTH verified), gets an address of $POOL_NET and pings srv from it through espgate (5, no loss)" alice_up

# 3: espgatectl sas
check "espgatectl sas: the IKE SA of rw ESTABLISHED and its Child SA" tunnel_rw_listed

# 4: eve's certificate is of another CA
untrusted() {
	local log want="connection rw: EAP-TLS: the client certificate does not verify"
	log=$(sw_log br)
	sw_down alice || return 1
	sw_client eve eve local_id=eve.example.org && sw_load br >/dev/null || return 1
	sw_initiate br eve-net 15 >"$W/up-eve.log" 2>&1 && { echo "eve came up"; return 1; }
	grep -q "received EAP_FAILURE\|received AUTHENTICATION_FAILED" "$log" ||
		{ echo "charon was not refused"; tail -n 8 "$W/up-eve.log"; return 1; }
	note "charon: $(grep -m1 'received EAP_FAILURE\|received AUTHENTICATION_FAILED' "$log" | sed 's/^[0-9:.]* //')"
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; tail -n 5 "$EG_LOG"; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
	[ "$(eg_json "len(d['ike_sas'])")" = 0 ] || { echo "an IKE SA is left: $(eg_sas_json)"; return 1; }
}
check "eve, whose certificate is of another CA: EAP-Failure and AUTHENTICATION_FAILED, no SA, and espgate logs at info \"EAP-TLS: the client certificate does not verify\" with OpenSSL's reason" untrusted

# 5: EAP-Identity for a client whose IDi is its address
identity() {
	local log n
	log=$(sw_log br)
	n=$(grep -c "EAP method EAP_TLS succeeded" "$log")
	sw_conn br eve child=eve-net local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" auth=psk psk=unused >/dev/null
	sw_client byaddr alice local_id="$BR_WAN_V4" local_eap_id=alice.example.org && sw_load br >/dev/null || return 1
	sw_initiate br byaddr-net 20 >"$W/up-byaddr.log" 2>&1 || { tail -n 8 "$W/up-byaddr.log"; return 1; }
	grep -q "server requested EAP_IDENTITY" "$log" ||
		{ echo "charon was not asked for its identity"; grep -i "identity\|requested" "$log" | tail -n 5; return 1; }
	note "charon: $(grep -m1 "server requested EAP_IDENTITY" "$log" | sed 's/^[0-9:.]* //')"
	[ "$(grep -c "EAP method EAP_TLS succeeded" "$log")" -gt "$n" ] || { echo "no new EAP-TLS success"; return 1; }
	tunnel_vip_ping "$(tunnel_vip_of byaddr)" "$POOL_NET" "$W/ping-byaddr.log"
}
check "charon with IDi $BR_WAN_V4 and eap_id alice.example.org: espgate asks EAP-Identity first, checks alice.example.org against the certificate, and the client pings srv" identity

# 6: a client that offers only EAP-MSCHAPv2 Naks EAP-TLS
nak() {
	local log want="EAP-TLS: an EAP-Nak asking for EAP-MSCHAPv2 (26), where the connection offers EAP-TLS (13), for alice.example.org"
	log=$(sw_log br)
	sw_down byaddr || return 1
	sw_conn br mschap child=mschap-net local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
		local_auth=eap-mschapv2 local_id=alice.example.org remote_auth=pubkey remote_id=p256.example.org \
		proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" vips=0.0.0.0 remote_ts="$HQ_NET" || return 1
	printf 'eap-alice {\n  id = alice.example.org\n  secret = "pw"\n}\n' >>"$(sw_dir br)/conns/mschap/secrets"
	sw_load br >/dev/null || return 1
	sw_initiate br mschap-net 15 >"$W/up-mschap.log" 2>&1 && { echo "the MSCHAPv2 client came up"; return 1; }
	grep -q "requesting EAP_MSCHAPV2 authentication, sending EAP_NAK" "$log" || { echo "charon sent no Nak"; tail -n 8 "$W/up-mschap.log"; grep -i "eap" "$log" | tail -n 6; return 1; }
	note "charon: $(grep -m1 "requesting EAP_MSCHAPV2 authentication, sending EAP_NAK" "$log" | sed 's/^[0-9:.]* //')"
	grep -q "EAP/FAIL N(AUTH_FAILED)" "$W/up-mschap.log" || { echo "no EAP-Failure with AUTHENTICATION_FAILED"; tail -n 4 "$W/up-mschap.log"; return 1; }
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; grep -i eap "$EG_LOG" | tail -n 5; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
}
check "charon offering only EAP-MSCHAPv2 answers EAP-TLS with a Nak: EAP-Failure and AUTHENTICATION_FAILED, espgate logs at info what was asked and what is configured" nak

# rw_option KEY: connection rw's boolean KEY true, taken by espgatectl reload.
rw_option() {
	"$PY" - "$W/espgate.json" "$1" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
d["connections"][0][sys.argv[2]] = True
json.dump(d, open(sys.argv[1], "w"), indent=1)
PY
	eg_ctl reload >"$W/reload.txt" || { cat "$W/reload.txt"; return 1; }
	grep -q "^changed *rw" "$W/reload.txt" || { echo "reload changed no connection: $(cat "$W/reload.txt")"; return 1; }
}

# 7: the certificate must name the IDi
wrong_idi() {
	local want="connection rw: EAP-TLS: the IDi does not name the client certificate \"CN=alice.example.org,O=espgate test,C=CH\" for alice.example.org, AUTHENTICATION_FAILED"
	rw_option eap_identity || return 1
	sw_client mallory alice local_id=mallory.example.org local_eap_id=alice.example.org &&
		sw_load br >/dev/null || return 1
	sw_initiate br mallory-net 15 >"$W/up-mallory.log" 2>&1 && { echo "mallory came up"; return 1; }
	grep -q "EAP/FAIL N(AUTH_FAILED)" "$W/up-mallory.log" || { echo "no EAP-Failure with AUTHENTICATION_FAILED"; tail -n 6 "$W/up-mallory.log"; return 1; }
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "espgate's log lacks: $want"; grep -i eap "$EG_LOG" | tail -n 3; return 1; }
	note "espgate: $(grep -m1 -F "$want" "$EG_LOG")"
	[ "$(eg_json "len(d['ike_sas'])")" = 0 ] || { echo "an IKE SA is left: $(eg_sas_json)"; return 1; }
}
check "eap_identity true (espgatectl reload); IDi mallory.example.org, EAP identity alice.example.org (which picks alice's certificate): the TLS handshake succeeds but the certificate does not name the IDi: EAP-Failure and AUTHENTICATION_FAILED, said at info" wrong_idi

# 8: RFC 5998: a client that authenticates us by EAP-TLS alone
eap_only() {
	local log n
	log=$(sw_log br)
	n=$(grep -c "EAP method EAP_TLS succeeded" "$log")
	sw_down mallory >/dev/null 2>&1
	rw_option eap_only || return 1
	sw_client eaponly alice local_id=alice.example.org remote_auth=eap-tls && sw_load br >/dev/null || return 1
	sw_initiate br eaponly-net 20 >"$W/up-eaponly.log" 2>&1 || { tail -n 8 "$W/up-eaponly.log"; return 1; }
	grep -q "N(EAP_ONLY)" "$W/up-eaponly.log" || { echo "charon did not ask for EAP-only"; grep "generating IKE_AUTH request" "$W/up-eaponly.log"; return 1; }
	grep "parsed IKE_AUTH response 1 " "$W/up-eaponly.log" | sed 's/.*\[\(.*\)\]/ \1 /' | grep -qE " (AUTH|CERT) " &&
		{ echo "espgate sent a certificate AUTH: $(grep 'parsed IKE_AUTH response 1 ' "$W/up-eaponly.log")"; return 1; }
	note "charon: $(grep -m1 "parsed IKE_AUTH response 1 " "$W/up-eaponly.log" | sed 's/^[0-9:.]* //')"
	[ "$(grep -c "EAP method EAP_TLS succeeded" "$log")" -gt "$n" ] || { echo "no new EAP-TLS success"; return 1; }
	grep -q "authentication of 'p256.example.org' with EAP successful" "$log" || { echo "charon did not verify espgate's MSK AUTH"; return 1; }
	n=$(eg_ctl --json stats | json_get - "d['ike']['eap_only']")
	[ "$n" = 1 ] || { echo "eap_only counter: $n"; return 1; }
	tunnel_vip_ping "$(tunnel_vip_of eaponly)" "$POOL_NET" "$W/ping-eaponly.log"
}
check "eap_only true (espgatectl reload); charon with remote auth eap-tls sends N(EAP_ONLY_AUTHENTICATION): espgate answers IDr and EAP-TLS without CERT or AUTH (RFC 5998), charon verifies espgate's MSK AUTH, the eap_only counter is 1 and the client pings srv" eap_only

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
