#!/bin/bash
# Every class of refused or failed negotiation against strongSwan, in one
# run (issue 18 item 1): the espgate daemon (log level info) is the
# gateway, charon in br the peer with one connection per mistake, and
# each point finds espgate's one info line naming the peer, the connection
# and the reason, charon's side of it, and the counter that counts it.
# Prints TAP. Needs root.
#
#   bash tests/e2e/refusals.sh [BUILD_DIR]      (default: build)
#
# espgate: connection "branch" (IKEv2 only, any peer, identity
# branch.example, child net 198.18.2.0/24 <=> 198.18.1.0/24, DPD 2 s with
# a 5 s timeout) and "other" (identity other.example); "ike": COOKIEs from
# 8 half-open IKE SAs on, 4 at most from one address.
#
# Points: modp4096 only (NO_PROPOSAL_CHOSEN, what was received and what
# is configured); a wrong PSK (AUTHENTICATION_FAILED); an identity no
# connection takes (unknown peer identity); selectors no child takes
# (TS_UNACCEPTABLE with both sides); IKEv1 (charon version = 1) to an
# IKEv2-only connection, and a major version 3 datagram; an IKE_SA_INIT
# flood from four more addresses of br (tests/e2e/ike_interop2.py, scapy):
# the per-address half-open cap and the COOKIE threshold, charon's own
# setup still coming up through the COOKIE; charon frozen (SIGSTOP):
# espgate's liveness check given up; the counters of all of it in
# espgatectl stats.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
FLOOD=$ROOT/tests/e2e/ike_interop2.py
FLOOD_SRCS=(203.0.113.21 203.0.113.22 203.0.113.23 203.0.113.24)
FLOOD_PROPOSAL=aes128gcm16-prfsha256-x25519 # what ike_interop2.py offers
OTHER_ADDR=203.0.113.5 # charon's address for the connections other than branch

PLAN=9
echo "1..$PLAN"

tap_start egrf "namespaces, espgate with connections branch and other, charon with one connection per refusal"
EG_LOG=$W/espgate.log
: >"$NOTES"

# rf_config FILE: the topology's espgate, "branch" with DPD and the flood's
# proposal beside its own, the connection "other", and the DoS limits.
rf_config() {
	TUN_DPD=2 TUN_DPD_TIMEOUT=5 tunnel_espgate_config "$1.in" info || return 1
	"$PY" - "$1.in" "$1" "$FLOOD_PROPOSAL" <<'PY'
import copy, json, sys
src, dst, flood = sys.argv[1:]
d = json.load(open(src))
b = d["connections"][0]
b["version"] = 2
b["proposals"].append(flood)
o = copy.deepcopy(b)
o.update({"name": "other", "remote_id": "other.example"})
for k in ("dpd", "dpd_timeout"):
    o.pop(k, None)
d["connections"].append(o)
d.setdefault("ike", {}).update({"cookie_threshold": 8, "half_open_per_peer": 4})
json.dump(d, open(dst, "w"), indent=1)
PY
}

# rf_sw NAME [K=V...]: a charon connection NAME in br to espgate, PSK,
# child NAME-net, as tunnel_sw_conn's "branch" unless K=V says otherwise.
rf_sw() {
	local name=$1
	shift
	tunnel_sw_conn "$name" "$name-net" "$BR_WAN_V4" branch.example "$HQ_NET" "$@"
}

setup() {
	local a
	suite_programs || return 1
	tunnel_topo_create || return 1
	for a in "$OTHER_ADDR" "${FLOOD_SRCS[@]}"; do
		ip -n "$NS_BR" addr add "$a/24" dev "$BR_WAN" || return 1
	done
	rf_config "$W/espgate.json" || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	tunnel_sw_prepare || return 1
	rf_sw p4096 proposals=aes128-sha256-modp4096
	rf_sw badpsk local_addrs="$OTHER_ADDR" local_id=other.example psk=not-the-secret
	rf_sw stranger local_addrs="$OTHER_ADDR" local_id=stranger.example
	rf_sw badts local_ts=198.18.50.0/24
	rf_sw v1 version=1 proposals=aes256-sha256-modp2048 esp_proposals=aes256-sha256
	tunnel_sw_start && sw_prio
}
check "namespaces host, br, gw, srv; espgate with branch (IKEv2, DPD 2 s / 5 s) and other; cookie_threshold 8, half_open_per_peer 4; charon with connections p4096, badpsk, stranger, badts, v1" setup ||
	FATAL="setup failed"

# eg_stats EXPR: a Python expression over `espgatectl --json stats` (d).
eg_stats() { eg_ctl --json stats | json_get - "$1"; }

# logged TEXT [S]: espgate's log has a line with TEXT (fixed string)
# within S seconds (default 5); it is noted.
LOGGED_TEXT=""
eg_has_line() { grep -qF -- "$LOGGED_TEXT" "$EG_LOG"; }
logged() {
	local text=$1 s=${2:-5}
	LOGGED_TEXT=$text
	wait_for eg_has_line "$s" ||
		{ echo "espgate logged no line with: $text"; grep -v '^EAL' "$EG_LOG" | tail -n 8; return 1; }
	note "espgate: $(grep -F -m1 -- "$text" "$EG_LOG")"
}

# sw_says TEXT: charon's log has TEXT (extended regex); the line is noted.
sw_says() {
	grep -Eq -- "$1" "$(sw_log br)" || { echo "charon's log lacks /$1/"; tail -n 8 "$(sw_log br)"; return 1; }
	note "charon: $(grep -E -m1 -- "$1" "$(sw_log br)" | sed 's/^[0-9:. ]*//')"
}

# failed_up NAME: charon's initiation of NAME-net does not come up.
failed_up() {
	sw_initiate br "$1-net" 10 >"$W/up-$1.log" 2>&1 && { echo "$1 came up"; return 1; }
	return 0
}

# 2
no_proposal() {
	failed_up p4096 || return 1
	sw_says "<p4096\\|[0-9]+> received NO_PROPOSAL_CHOSEN" || return 1
	logged "peer $BR_WAN_V4, connection branch: IKE_SA_INIT refused, NO_PROPOSAL_CHOSEN: received proposals: aes128-sha256-prfsha256-modp4096; configured proposals: $TUN_IKE_PROPOSAL, $FLOOD_PROPOSAL" || return 1
	[ "$(eg_stats "d['ike']['fail_no_proposal']")" -ge 1 ]
}
check "p4096 offers only aes128-sha256-modp4096: NO_PROPOSAL_CHOSEN; espgate says at info what it received and what it is configured with; counted (fail_no_proposal)" no_proposal

# 3
wrong_psk() {
	failed_up badpsk || return 1
	sw_says "<badpsk\\|[0-9]+> received AUTHENTICATION_FAILED" || return 1
	logged "peer $OTHER_ADDR, connection other: peer authentication failed, AUTHENTICATION_FAILED: the peer's identity or AUTH does not verify" || return 1
	[ "$(eg_stats "d['ike']['fail_auth']")" -ge 1 ]
}
check "badpsk (other.example) with the wrong PSK: AUTHENTICATION_FAILED, the reason at info with the connection its identity chose; counted (fail_auth)" wrong_psk

# 4
unknown_id() {
	failed_up stranger || return 1
	sw_says "<stranger\\|[0-9]+> received AUTHENTICATION_FAILED" || return 1
	logged "peer $OTHER_ADDR, connection branch: peer authentication failed, AUTHENTICATION_FAILED: unknown peer identity \"stranger.example\": no connection from this address takes it (connection branch wants \"branch.example\")" || return 1
	[ "$(eg_stats "d['ike']['fail_unknown_id']")" = 1 ]
}
check "stranger names itself stranger.example, which no connection takes: AUTHENTICATION_FAILED, espgate says the identity is unknown and what the connection wants; counted (fail_unknown_id)" unknown_id

# 5
ts_refused() {
	sw_initiate br badts-net 10 >"$W/up-badts.log" 2>&1
	sw_says "<badts\\|[0-9]+> received TS_UNACCEPTABLE" || return 1
	logged "peer $BR_WAN_V4, connection branch: first Child SA refused: TS_UNACCEPTABLE: received TSi 198.18.50.0/24, TSr $HQ_NET; configured net: $HQ_NET === $BRANCH_NET" || return 1
	[ "$(eg_stats "d['ike']['fail_ts']")" = 1 ] || return 1
	[ "$(eg_json "len([c for c in d['child_sas'] if c['conn'] == 'branch'])")" = 0 ] ||
		{ echo "a Child SA was made: $(eg_json "d['child_sas']")"; return 1; }
	sw_terminate_ike br badts >/dev/null 2>&1
	return 0
}
check "badts proposes 198.18.50.0/24 <=> $HQ_NET: TS_UNACCEPTABLE, no Child SA; espgate's line has the selectors received and those of each child; counted (fail_ts)" ts_refused

# 6
versions() {
	local before
	failed_up v1 || return 1
	logged "peer $BR_WAN_V4, connection branch: IKEv1 main mode refused: the connection takes only IKEv2 (\"version\": 2): NO-PROPOSAL-CHOSEN" || return 1
	sw_says "<v1\|[0-9]+> .*NO_PROPOSAL_CHOSEN" || return 1
	[ "$(eg_stats "d['ike']['ikev1_v2_only']")" -ge 1 ] || return 1
	# A major version espgate does not speak: a bare header with version 3.0.
	before=$(eg_stats "d['ike']['bad_versions']")
	nsx "$NS_BR" "$PY" -c '
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 0, 0x30, 34, 0x08, 0, 28), (sys.argv[2], 500))
' "$BR_WAN_V4" "$GW_WAN_V4" || return 1
	logged "peer $BR_WAN_V4: IKE major version 3: INVALID_MAJOR_VERSION" || return 1
	[ "$(eg_stats "d['ike']['bad_versions']")" -gt "$before" ]
}
check "v1 (charon version = 1) to the IKEv2-only branch: NO-PROPOSAL-CHOSEN, the line names the version and the connection (ikev1_v2_only); a major version 3 datagram: INVALID_MAJOR_VERSION at info (bad_versions)" versions

# 7
flood_limits() {
	local srcs ready=$W/flood.ready stop=$W/flood.stop fpid
	srcs=$(IFS=,; echo "${FLOOD_SRCS[*]}")
	nsx "$NS_BR" "$PY" "$FLOOD" flood --dst "$GW_WAN_V4" --srcs "$srcs" --log "$W/flood.json" \
		--ready "$ready" --stop "$stop" --max 40 --burst 6 --rate 2 >"$W/flood.out" 2>&1 &
	fpid=$!
	wait_for "[ -e '$ready' ]" 15 || { echo "the flood did not get ready"; cat "$W/flood.out"; kill "$fpid"; return 1; }
	logged "peer ${FLOOD_SRCS[0]}: 4 half-open IKE SAs from it, the cap: IKE_SA_INIT dropped" || { touch "$stop"; wait "$fpid"; return 1; }
	logged "half-open IKE SAs, the COOKIE threshold: IKE_SA_INIT without a valid COOKIE is answered with one" ||
		{ touch "$stop"; wait "$fpid"; return 1; }
	note "espgatectl stats: half_open $(eg_stats "d['ike']['half_open']"), half_open_capped $(eg_stats "d['ike']['half_open_capped']")"
	# charon's own setup meanwhile: a COOKIE, then through with it
	sw_initiate br net 20 >"$W/up-branch.log" 2>&1 || { echo "branch did not come up"; tail -n 5 "$W/up-branch.log"; touch "$stop"; wait "$fpid"; return 1; }
	touch "$stop"
	wait "$fpid"
	note "$(cat "$W/flood.out")"
	sw_says "<branch\\|[0-9]+> .*N\\(COOKIE\\)" || return 1
	[ "$(eg_stats "d['ike']['cookies_sent']")" -ge 1 ] && [ "$(eg_stats "d['ike']['half_open_capped']")" -ge 2 ]
}
check "IKE_SA_INIT flood from four more addresses: the first address capped at 4 half-open IKE SAs, the COOKIE threshold (8) reached, both said at info with the peer; charon's branch comes up through a COOKIE (cookies_sent, half_open_capped)" flood_limits

# 8
gave_up() {
	local pid=${SW_PID[br]:-}
	[ -n "$pid" ] || { echo "no charon pid"; return 1; }
	[ "$(eg_json "len([s for s in d['ike_sas'] if s['conn'] == 'branch'])")" -ge 1 ] || { echo "branch is not up"; return 1; }
	kill -STOP "$pid" || return 1
	logged "connection branch: no answer to the liveness check after" 15
	local rc=$?
	kill -CONT "$pid"
	[ $rc -eq 0 ] || return 1
	grep -F -m1 "no answer to the liveness check after" "$EG_LOG" | grep -q "peer did not answer the liveness check" || return 1
	wait_for "[ \"\$(eg_json \"len([s for s in d['ike_sas'] if s['conn'] == 'branch'])\")\" = 0 ]" 5 ||
		{ echo "the IKE SA stayed"; return 1; }
	[ "$(eg_stats "d['ike']['retransmit_give_up']")" -ge 1 ] && [ "$(eg_stats "d['ike']['retransmits']")" -ge 1 ]
}
check "charon frozen (SIGSTOP) with branch up: espgate's liveness check goes unanswered and is given up at the 5 s timeout, said at info, the IKE SA goes (retransmits, retransmit_give_up)" gave_up

# 9
counted() {
	eg_ctl stats | sed -n '/^IKE engine:/,/^[^ ]/p' | grep -E 'fail_|ikev1_v2_only|bad_versions|half_open_capped|cookies_sent|retransmit|established' | tee "$W/counted.txt"
	while read -r l; do note "$l"; done <"$W/counted.txt"
	eg_ctl counters | grep -q "ike.fail_unknown_id" || { echo "espgatectl counters does not describe fail_unknown_id"; return 1; }
	[ "$(eg_stats "d['ike']['fail_auth']")" -ge 2 ] && [ "$(eg_stats "d['ike']['ike_established']")" -ge 1 ]
}
check "espgatectl stats shows the counters of every refusal above; espgatectl counters describes them" counted

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
