#!/bin/bash
# `espgatectl reload` end to end (issue 5): a connection added and another
# removed while a third tunnel carries traffic without loss. Prints TAP.
# Needs root.
#
#   bash tests/e2e/reload.sh [BUILD_DIR]      (default: build)
#
# Topology: scripts/lib/tunnel.sh (host -- br: charon -- gw: espgate -- srv),
# with two more addresses on br's wan and two more networks behind srv:
#
#   A "branch"    br 203.0.113.2  198.18.1.0/24 <=> 198.18.2.0/24 (srv 198.18.2.2)
#   B "branch-b"  br 203.0.113.3  198.18.1.0/24 <=> 198.18.3.0/24 (srv 198.18.3.2)
#   C "branch-c"  br 203.0.113.4  198.18.1.0/24 <=> 198.18.4.0/24 (srv 198.18.4.2)
#
# Each is its own espgate connection (remote: that address of br; espgate
# picks a responder connection by addresses) and its own charon connection.
# espgate starts with A and B; charon has all three loaded.
#  1     set up
#  2     charon brings up A and B; ping through each (SPIs recorded)
#  3     UDP through A (iperf3 --bidir, RELOAD_RATE Mbit/s each way,
#        RELOAD_SECONDS s) in the background; meanwhile the config file is
#        rewritten (B removed, C added, A byte-identical) and
#        `espgatectl --json reload` answers added [C], removed [B],
#        changed [], unchanged [A]
#  4     B's IKE SA, Child SA and data-plane SAs are gone from espgate (and
#        charon got the DELETE)
#  5     charon brings up C; espgate lists it; ping through C
#  6     after the run: A's IKE SA, Child SA and data-plane SAs have the
#        SPIs they had before the reload (no rekey seen during the run)
#  7     iperf3 through A lost no packet (else: where, from espgate's
#        drop counters and the kernels' socket overflows)
#  8     a config file with a syntax error, and one with a bad value, are
#        refused with FILE:LINE:COL; nothing changes (SAs as before; the
#        valid file again: nothing added, removed or changed)
#  9     a connection whose certificate cannot be loaded (the file passes
#        --check): reload exits non-zero and lists it under "failed"; the
#        next reload tries it again (not "unchanged"); A and C untouched
#  10    rekeys from both sides: espgate rekeys A's Child SA and then its
#        IKE SA (espgatectl rekey), charon C's (swanctl --rekey); new SPIs
#        on both, ping through each
#  11    deletes from both sides: espgatectl terminate A, charon C; then
#        what espgatectl --json stats lists under "resources" (mbufs in
#        use, data-plane SAs, inbound keys and policies, IKE SAs half-open
#        or not, Child SAs, lingering and deferred SAs, trap-held packets)
#        is back to what it was before the first tunnel came up
#  12    SIGTERM: espgate exits 0 and logs "mbufs in use at exit: 0" (and,
#        built with sanitizers, reports nothing: no leak at exit)
# NETNS_KEEP_WORKDIR=1 keeps configs and logs.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RATE=${RELOAD_RATE:-4}
SECS=${RELOAD_SECONDS:-20}

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"

PLAN=13
echo "1..$PLAN"

# ---------------------------------------------------------------------------
tap_start egr "namespaces, espgate and charon set up"
EG_LOG=$W/espgate.log
CONFIG=$W/espgate.json
: >"$NOTES"

CONN_B=branch-b CONN_C=branch-c
BR_B_V4=203.0.113.3 BR_C_V4=203.0.113.4
NET_B=198.18.3.0/24 NET_C=198.18.4.0/24
SRV_B_V4=198.18.3.2 SRV_C_V4=198.18.4.2
SW_B=brb SW_C=brc # charon's connections (children netb, netc)

# A names br's address, not "any": espgate takes the first connection whose
# addresses match a new peer, and C comes after A once added.
TUN_EG_REMOTE=203.0.113.2
TUN_EG_ROUTES=", {\"prefix\": \"$NET_B\", \"via\": \"198.18.2.2\"}, {\"prefix\": \"$NET_C\", \"via\": \"198.18.2.2\"}"

# eg_config FILE CONN REMOTE LOCAL_TS: espgate's JSON with A and that one.
eg_config() {
	TUN_EG_CONNS=",
$(tunnel_eg_conn "$2" "$3" "$2.example" "$4")" tunnel_espgate_config "$1" info
}

# eg_resources: what espgatectl --json stats lists under "resources", as
# one line of sorted (key, value) pairs.
eg_resources() {
	eg_ctl --json stats | json_get - 'sorted(d["resources"].items())'
}

# conn_state CONN: "IKE_SPI_I IKE_SPI_R | SPI_IN SPI_OUT | DP_SA..." of CONN
# in espgate (IKE SAs, Child SAs, data-plane SAs named CONN/...).
conn_state() {
	eg_json "' '.join(sorted(s['spi_i'] + ':' + s['spi_r'] for s in d['ike_sas'] if s['conn'] == '$1')) + ' | ' + ' '.join(sorted(c['spi_in'] + ':' + c['spi_out'] for c in d['child_sas'] if c['conn'] == '$1')) + ' | ' + ' '.join(sorted(a['direction'] + ':' + a['spi'] for a in d['sas'] if a['name'].startswith('$1/')))"
}

# eg_conn_up CONN: espgate lists an ESTABLISHED IKE SA and an INSTALLED
# Child SA of CONN.
eg_conn_up() {
	[ "$(eg_json "bool([s for s in d['ike_sas'] if s['conn'] == '$1' and s['state'] == 'ESTABLISHED'] and [c for c in d['child_sas'] if c['conn'] == '$1' and c['state'] == 'INSTALLED'])" 2>/dev/null)" = True ]
}

# conn_up SW_CONN SW_CHILD EG_CONN NET: charon initiates; espgate lists the
# SAs; charon's route to NET is in place.
conn_up() {
	sw_initiate br "$2" 20 || return 1
	wait_for "eg_conn_up '$3'" 10 || { echo "espgate does not list $3 up"; eg_ctl sas; return 1; }
	wait_for "ip -n '$NS_BR' route show table all | grep -q '^$4 .*dev ipsec0'" 10 || {
		echo "charon installed no route to $4 via ipsec0"
		return 1
	}
}

# 1: topology, espgate with A and B, charon with A, B and C
setup() {
	suite_programs iperf3 ethtool ss ping || return 1
	tunnel_topo_create || return 1
	ip -n "$NS_BR" addr add "$BR_B_V4/24" dev "$BR_WAN" || return 1
	ip -n "$NS_BR" addr add "$BR_C_V4/24" dev "$BR_WAN" || return 1
	ip -n "$NS_SRV" addr add "$SRV_B_V4/32" dev lo || return 1
	ip -n "$NS_SRV" addr add "$SRV_C_V4/32" dev lo || return 1
	eg_config "$CONFIG" "$CONN_B" "$BR_B_V4" "$NET_B" || return 1
	eg_start "$CONFIG" "$EG_LOG" || return 1
	eg_resources >"$W/resources-0.json" || return 1
	note "held at the start: $(cat "$W/resources-0.json")"
	tunnel_sw_prepare || return 1
	tunnel_sw_conn "$SW_B" netb "$BR_B_V4" "$CONN_B.example" "$NET_B" || return 1
	tunnel_sw_conn "$SW_C" netc "$BR_C_V4" "$CONN_C.example" "$NET_C" || return 1
	tunnel_sw_start || return 1
	sw_prio
}
check "namespaces host, br, gw, srv; espgate with connections $TUN_CONN (A) and $CONN_B (B); charon with A, B and C" \
	setup || FATAL="setup failed"

# 2: A and B up
A0="" B0="" B_SPIS=""
ab_up() {
	conn_up "$TUN_CONN" "$TUN_CHILD" "$TUN_CONN" "$HQ_NET" || return 1
	conn_up "$SW_B" netb "$CONN_B" "$NET_B" || return 1
	ping5 "$NS_HOST" "$SRV_V4" && ping5 "$NS_HOST" "$SRV_B_V4" || return 1
	A0=$(conn_state "$TUN_CONN") && B0=$(conn_state "$CONN_B") || return 1
	B_SPIS=$(eg_json "' '.join('0x' + c[k] for c in d['child_sas'] if c['conn'] == '$CONN_B' for k in ('spi_in', 'spi_out'))") ||
		return 1
	note "A: $A0"
	note "B: $B0"
	eg_ctl sas
}
check "charon brings up A and B: espgate lists both; ping host -> srv through each (5, no loss)" \
	ab_up || FATAL="no tunnels"

# 3: traffic through A; reload: B out, C in
IPERF_PID="" POLL_PID="" T_RUN="" T_RELOAD="" E0=()
traffic_start() {
	eg_ctl --json stats >"$W/stats-before.json" || return 1
	read -ra E0 <<<"$(rcvbuf_errs)"
	bg_run POLL_PID "$W/spis.log" poll_spis "$TUN_CONN"
	T_RUN=$EPOCHREALTIME
	bg_run IPERF_PID "$W/udp-run.log" udp_run "$NS_HOST" "$SRV_V4" 5301 "$RATE" "$SECS" reload
}
same_a() { # the text of A in both files, and A as JSON
	local block
	block=$(tunnel_eg_conn "$TUN_CONN" "$TUN_EG_REMOTE" branch.example "$HQ_NET")
	"$PY" - "$W/espgate-ab.json" "$CONFIG" "$TUN_CONN" "$block" <<'PY'
import json, sys
a, b, name, block = sys.argv[1:]
ta, tb = open(a).read(), open(b).read()
ca = [c for c in json.loads(ta)["connections"] if c["name"] == name]
cb = [c for c in json.loads(tb)["connections"] if c["name"] == name]
sys.exit(0 if block in ta and block in tb and ca == cb and len(ca) == 1 else 1)
PY
}
reload_swap() {
	local reply
	traffic_start || return 1
	sleep 3
	kill -0 "$IPERF_PID" 2>/dev/null || { echo "iperf3 ended early"; cat "$W/udp-run.log"; return 1; }
	cp "$CONFIG" "$W/espgate-ab.json"
	eg_config "$W/espgate-ac.json" "$CONN_C" "$BR_C_V4" "$NET_C" || return 1
	cp "$W/espgate-ac.json" "$CONFIG" || return 1
	same_a || { echo "A is not byte-identical in both files"; diff "$W/espgate-ab.json" "$CONFIG"; return 1; }
	T_RELOAD=$EPOCHREALTIME
	reply=$(eg_ctl --json reload) || { echo "reload failed: $reply"; return 1; }
	echo "$reply"
	note "reload $(awk -v a="$T_RUN" -v b="$T_RELOAD" 'BEGIN { printf "%.1f", b - a }') s into the UDP run: $(printf '%s' "$reply" | json_get - 'd')"
	[ "$(printf '%s' "$reply" | json_get - "d['added'] == ['$CONN_C'] and d['removed'] == ['$CONN_B'] and d['changed'] == [] and d['unchanged'] == ['$TUN_CONN']")" = True ]
}
check "UDP through A; config rewritten (B removed, C added, A byte-identical); espgatectl --json reload: added [C], removed [B], changed [], unchanged [A]" \
	reload_swap

# 4: B gone
b_gone() {
	local left
	if ! wait_for "[ \"\$(conn_state '$CONN_B')\" = ' |  | ' ]" 10; then
		echo "espgate still lists B 10 s after the reload: $(conn_state "$CONN_B")"
		eg_ctl sas
		return 1
	fi
	# none of B's SPIs is in the data plane under any name
	left=$(eg_json "[a['spi'] for a in d['sas'] if a['spi'] in '$B_SPIS'.split()]") || return 1
	[ "$left" = "[]" ] || { echo "B's SPIs still in the data plane: $left"; return 1; }
	wait_for "[ \"\$(sw_json br \"len([s for s in d if s['name'] == '$SW_B'])\")\" = 0 ]" 10 || {
		echo "charon still has B's IKE SA (no DELETE from espgate?)"
		sw_swanctl br --list-sas
		return 1
	}
	note "B before: $B0; now: none in espgate, none in charon"
}
check "B's IKE SA, Child SA and data-plane SAs gone from espgate; charon deleted B's IKE SA too" b_gone

# 5: C up, ping through it
c_up() {
	eg_conn_up "$CONN_C" && { echo "C is up before anyone initiated it"; return 1; }
	conn_up "$SW_C" netc "$CONN_C" "$NET_C" || return 1
	ping5 "$NS_HOST" "$SRV_C_V4" || return 1
	note "C: $(conn_state "$CONN_C"); iperf3 through A $(kill -0 "$IPERF_PID" 2>/dev/null && echo "still running" || echo "already done")"
}
check "charon brings up C: espgate lists it; ping host -> $SRV_C_V4 through C (5, no loss)" c_up

# 6: A untouched
RUN_RC=1
a_same() {
	local a1 n
	wait_pid_exit "$IPERF_PID" $((SECS + 45)) || { echo "iperf3 did not end"; stop_pid "$IPERF_PID"; }
	RUN_RC=${WAIT_STATUS:-1}
	stop_pid "$POLL_PID" 2
	a1=$(conn_state "$TUN_CONN") || return 1
	echo "A before the reload: $A0"
	echo "A after the run:     $a1"
	n=$(awk '$2 != "-" { print $2, $3 }' "$W/spis.log" | sort -u | wc -l)
	note "A: $a1; $n Child SA SPI pair(s) seen in $(wc -l <"$W/spis.log") polls during the run"
	[ "$a1" = "$A0" ] && [ "$n" -eq 1 ] && ! grep -q ' -$' "$W/spis.log"
}
check "A's IKE SA, Child SA and data-plane SAs keep their SPIs across the reload (and no rekey or gap during the run)" a_same

# 7: no loss through A
a_no_loss() {
	local e1
	eg_ctl --json stats >"$W/stats-after.json"
	read -ra e1 <<<"$(rcvbuf_errs)"
	[ "$RUN_RC" -eq 0 ] || { echo "iperf3 failed:"; cat "$W/udp-run.log"; return 1; }
	# (a "rekey" reference time is the reload here)
	{
		"$PY" "$HELPER" rekeys "$W/spis.log" "$W/udp-reload.json" "$W/udp-reload-server.json" "$T_RUN" 0
		"$PY" "$HELPER" drops "$W/stats-before.json" "$W/stats-after.json"
		printf 'UDP receive-buffer overflows meanwhile: branch host %d, server %d, br %d; ipsec0 tx drops %d\n' \
			$((e1[0] - E0[0])) $((e1[1] - E0[1])) $((e1[2] - E0[2])) $((e1[3] - E0[3]))
		echo "reload at $(awk -v a="$T_RUN" -v b="$T_RELOAD" 'BEGIN { printf "%+.1f", b - a }') s (iperf3's clock, about)"
	} >"$W/loss.txt"
	cat "$W/loss.txt"
	while read -r l; do note "$l"; done < <(grep -Ev '^(Child SAs seen|  rekey at)' "$W/loss.txt")
	[ "$(udp_lost reload)" = 0 ]
}
check "iperf3 UDP through A, $RATE Mbit/s each way for $SECS s across the reload: no packet lost" a_no_loss

# 8: invalid files are refused
bad_reload() { # FILE WANT_LINE: reload refused with FILE:WANT_LINE:COL; SAs as before
	local before after out
	before=$(eg_sas_json | json_get - "sorted((s['conn'], s['spi_i'], s['spi_r']) for s in d['ike_sas']) + sorted((c['conn'], c['spi_in'], c['spi_out']) for c in d['child_sas']) + sorted((a['name'], a['spi']) for a in d['sas'])") || return 1
	cp "$1" "$CONFIG" || return 1
	if out=$(eg_ctl reload 2>&1); then
		echo "reload of $1 accepted: $out"
		return 1
	fi
	echo "$out"
	note "$out"
	case $out in
	"espgatectl: $CONFIG:$2:"[0-9]*": "*) ;;
	*) echo "not FILE:$2:COL: ..."; return 1 ;;
	esac
	after=$(eg_sas_json | json_get - "sorted((s['conn'], s['spi_i'], s['spi_r']) for s in d['ike_sas']) + sorted((c['conn'], c['spi_in'], c['spi_out']) for c in d['child_sas']) + sorted((a['name'], a['spi']) for a in d['sas'])") || return 1
	[ "$before" = "$after" ] || { echo "SAs changed: $before -> $after"; return 1; }
}
bad_configs() {
	local line reply
	# a syntax error: a comma before the closing bracket of "connections"
	line=$(grep -n '^  \]$' "$W/espgate-ac.json" | tail -n 1 | cut -d: -f1)
	sed "$((line - 1))s/\$/,/" "$W/espgate-ac.json" >"$W/bad-syntax.json"
	bad_reload "$W/bad-syntax.json" "$line" || return 1
	# a bad value: C's ESP proposal unknown
	line=$(grep -n '"esp_proposals"' "$W/espgate-ac.json" | tail -n 1 | cut -d: -f1)
	sed "${line}s/$TUN_ESP_PROPOSAL/aes999/" "$W/espgate-ac.json" >"$W/bad-value.json"
	bad_reload "$W/bad-value.json" "$line" || return 1
	cp "$W/espgate-ac.json" "$CONFIG" || return 1
	reply=$(eg_ctl --json reload) || { echo "$reply"; return 1; }
	note "the valid file again: $(printf '%s' "$reply" | json_get - 'd')"
	[ "$(printf '%s' "$reply" | json_get - "d['added'] == d['removed'] == d['changed'] == [] and sorted(d['unchanged']) == sorted(['$TUN_CONN', '$CONN_C'])")" = True ]
}
check "reload of a file with a syntax error, and of one with an unknown ESP proposal: refused with FILE:LINE:COL, SAs unchanged; the valid file again: nothing added, removed or changed" \
	bad_configs

# 8b: the IKE engine's limits (RFC 7296 §2.6) follow a reload
limits_reload() {
	local reply want='IKE: COOKIE from 5 half-open SAs, at most 2 half-open per peer address'
	"$PY" - "$W/espgate-ac.json" "$W/limits.json" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1]))
d.setdefault("ike", {}).update({"cookie_threshold": 5, "half_open_per_peer": 2})
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
	cp "$W/limits.json" "$CONFIG" || return 1
	reply=$(eg_ctl --json reload) || { echo "$reply"; return 1; }
	[ "$(printf '%s' "$reply" | json_get - "d['added'] == d['removed'] == d['changed'] == []")" = True ] ||
		{ echo "connections changed: $reply"; return 1; }
	wait_for "grep -qF '$want' '$EG_LOG'" 5 || { echo "no log line \"$want\""; grep 'IKE: COOKIE' "$EG_LOG"; return 1; }
	note "$(grep -F "$want" "$EG_LOG" | tail -n 1)"
	local dflt='IKE: COOKIE from 1000 half-open SAs, at most 100 half-open per peer address' n
	n=$(grep -cF "$dflt" "$EG_LOG")
	cp "$W/espgate-ac.json" "$CONFIG" || return 1
	eg_ctl reload >/dev/null || return 1
	wait_for "[ \$(grep -cF '$dflt' '$EG_LOG') -gt $n ]" 5 ||
		{ echo "the defaults not back"; grep 'IKE: COOKIE' "$EG_LOG"; return 1; }
}
check "reload with ike.cookie_threshold 5 and ike.half_open_per_peer 2: no connection changed, espgate logs the engine's new limits; the file without them: the defaults (1000, 100) again" \
	limits_reload

# 9: a connection that cannot be loaded
CONN_D=branch-d
# d_config FILE: the A+C file and D, with certificate files that are
# readable (the file passes --check) but hold no certificate or key.
d_config() {
	printf 'not a certificate\n' >"$W/junk.pem"
	TUN_EG_CONNS=",
$(tunnel_eg_conn "$CONN_C" "$BR_C_V4" "$CONN_C.example" "$NET_C"),
    {\"name\": \"$CONN_D\", \"local\": \"$GW_WAN_V4\", \"remote\": \"203.0.113.5\",
     \"local_id\": \"hq.example\", \"remote_id\": \"$CONN_D.example\", \"auth\": \"pubkey\",
     \"cert\": \"$W/junk.pem\", \"key\": \"$W/junk.pem\", \"cacerts\": [\"$W/junk.pem\"],
     \"proposals\": [\"$TUN_IKE_PROPOSAL\"],
     \"children\": [{\"name\": \"$TUN_CHILD\", \"local_ts\": [\"198.18.5.0/24\"],
                   \"remote_ts\": [\"$BRANCH_NET\"], \"esp_proposals\": [\"$TUN_ESP_PROPOSAL\"]}]}" \
		tunnel_espgate_config "$1" info
}
# d_reload: `espgatectl --json reload` fails (non-zero) and names D as not
# loaded, nothing else changing.
d_reload() {
	local reply
	if reply=$(eg_ctl --json reload 2>&1); then
		echo "reload succeeded: $reply"
		return 1
	fi
	echo "$reply"
	note "$(printf '%s\n' "$reply" | grep '^espgatectl:')"
	reply=$(printf '%s\n' "$reply" | sed -n '/^{/,/^}/p')
	[ "$(printf '%s' "$reply" | json_get - "d['added'] == d['removed'] == d['changed'] == [] and sorted(d['unchanged']) == sorted(['$TUN_CONN', '$CONN_C']) and [f['name'] for f in d['failed']] == ['$CONN_D']")" = True ]
}
bad_cert() {
	local before after
	before=$(conn_state "$TUN_CONN")" / "$(conn_state "$CONN_C") || return 1
	d_config "$CONFIG" || return 1
	"$BUILD/app/espgate" --check --config "$CONFIG" || { echo "the file does not pass --check"; return 1; }
	d_reload || return 1
	# the file as it is: D is tried again, not taken as loaded
	d_reload || return 1
	after=$(conn_state "$TUN_CONN")" / "$(conn_state "$CONN_C") || return 1
	[ "$before" = "$after" ] || { echo "SAs changed: $before -> $after"; return 1; }
}
check "a connection whose certificate cannot be loaded: reload fails naming it (the others untouched), and the next reload tries it again" \
	bad_cert

# 10: rekeys from both sides
spis_of() { eg_json "sorted(c['spi_in'] for c in d['child_sas'] if c['conn'] == '$1')"; }
ike_spis_of() { eg_json "sorted(s['spi_i'] + s['spi_r'] for s in d['ike_sas'] if s['conn'] == '$1')"; }
# rekeyed WHAT CONN BEFORE: within 15 s espgate lists one set of SPIs
# (WHAT: spis_of or ike_spis_of) for CONN, not BEFORE.
REKEY_BEFORE=""
rekeyed_now() {
	local now
	now=$($1 "$2") || return 1
	[ "$now" != "$REKEY_BEFORE" ] && [[ $now != *,* ]]
}
rekeyed() {
	REKEY_BEFORE=$3
	wait_for "rekeyed_now $1 $2" 15 || {
		echo "$2: $1 still $3 (or more than one)"
		eg_ctl sas
		return 1
	}
	note "$2: $1 $3 -> $($1 "$2")"
}
rekeys() {
	local a c ai ci
	a=$(spis_of "$TUN_CONN") && c=$(spis_of "$CONN_C") || return 1
	ai=$(ike_spis_of "$TUN_CONN") && ci=$(ike_spis_of "$CONN_C") || return 1
	eg_ctl rekey "$TUN_CONN" child || return 1
	rekeyed spis_of "$TUN_CONN" "$a" || return 1
	eg_ctl rekey "$TUN_CONN" || return 1
	rekeyed ike_spis_of "$TUN_CONN" "$ai" || return 1
	sw_rekey_child br netc || return 1
	rekeyed spis_of "$CONN_C" "$c" || return 1
	sw_rekey_ike br "$SW_C" || return 1
	rekeyed ike_spis_of "$CONN_C" "$ci" || return 1
	ping5 "$NS_HOST" "$SRV_V4" && ping5 "$NS_HOST" "$SRV_C_V4"
}
check "rekeys: espgate rekeys A's Child SA, then its IKE SA; charon C's Child SA, then its IKE SA; new SPIs each time, ping through A and C" \
	rekeys

# 11: deletes from both sides; what espgate holds is back where it started
all_deleted() {
	local r0 r1
	eg_ctl terminate "$TUN_CONN" || return 1
	sw_terminate_ike br "$SW_C" 10 || return 1
	wait_for "[ \"\$(eg_json 'len(d[\"ike_sas\"]) + len(d[\"child_sas\"]) + len(d[\"sas\"])')\" = 0 ]" 15 || {
		echo "espgate still lists SAs after both deletes:"
		eg_ctl sas
		return 1
	}
	r0=$(cat "$W/resources-0.json")
	# lingering inbound SAs go 1 s after their rekey, packets in flight drain
	if ! wait_for "[ \"\$(eg_resources)\" = \"\$(cat '$W/resources-0.json')\" ]" 10; then
		r1=$(eg_resources)
		echo "held at the start: $r0"
		echo "held now:          $r1"
		eg_ctl stats
		return 1
	fi
	note "held after the deletes: $(eg_resources)"
	eg_ctl stats | grep -A1 '^held:'
}
check "espgate deletes A, charon deletes C: no SA left; mbufs in use, data-plane SA tables, IKE SAs, Child SAs and held packets as before the first tunnel" \
	all_deleted

# 12: SIGTERM
check "SIGTERM: espgate exits 0 and logs \"mbufs in use at exit: 0\"" eg_sigterm_clean

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
