#!/bin/bash
# espgate under an IKE flood while strongSwan's charon connects as the
# legitimate peer (issue 16 item 4). Figures; never fails on them, only when
# something cannot run. Needs root. Run after the build:
#
#   bench/ike_flood.sh [BUILD_DIR]          (default build; about 2 minutes)
#
# Topology: scripts/lib/tunnel.sh (charon in br 203.0.113.2, espgate in gw
# 203.0.113.1 on net_af_packet), with aes128gcm16-prfsha256-x25519 as the
# IKE proposal on both sides so that the generator can send a fresh X25519
# value in every request. build/bench/ike_flood runs in br:
#   init  IKE_SA_INIT from 198.19.0.0/17 (FLOOD_SOURCES addresses, spoofed
#         through a raw socket; br blackholes the replies, so nobody returns
#         a cookie) for FLOOD_SECONDS, as fast as it can; FLOOD_DELAY s in,
#         charon initiates the tunnel: its time to come up is compared with
#         the same unflooded (median of 3). espgate's half-open SAs are
#         sampled every 0.5 s; then the run waits (bounded, 40 s) until
#         they are reaped (RFC 7296 §2.6; 30 s in lib/ike).
#   auth  AUTH_SAS half-open SAs from four addresses on br's lo
#         (198.19.255.1-4, COOKIE answered when asked), then IKE_AUTH with
#         random SK content (no ICV verifies) on them for FLOOD_SECONDS.
#   retx  one IKE_SA_INIT answered, then the same request again for
#         FLOOD_SECONDS: each copy answered from the kept response
#         (responses_resent), never processed again (init_requests +1).
# Counters: `espgatectl stats --json` (its "ike" block: the engine's; port,
# worker and control drops), RSS of espgate before and after, mbufs in use.
# Last line:
#   RESULT ike_flood_rps=X legit_up_s=Y legit_up_unflooded_s=Z ike_flood_held_rps=H half_open_peak=N rss_growth_kib=K auth_flood_pps=A retx_pps=R
# H: the highest rate of FLOOD_SWEEP at which the paced flood (init
# --pps) let charon's tunnel up within LEGIT_NORMAL_S (0: none did).
#
# Environment: FLOOD_SECONDS (10), FLOOD_DELAY (2), FLOOD_SOURCES (16384),
# AUTH_SAS (64), FLOOD_SWEEP ("25000 50000 100000 150000 200000"),
# FLOOD_SWEEP_SECONDS (6), LEGIT_NORMAL_S (1); NETNS_KEEP_WORKDIR=1 keeps logs and the stats snapshots.

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || { echo "bench: no build dir" >&2; exit 1; }
FLOOD=$BUILD/bench/ike_flood
SECS=${FLOOD_SECONDS:-10}
DELAY=${FLOOD_DELAY:-2}
SOURCES=${FLOOD_SOURCES:-16384}
AUTH_SAS=${AUTH_SAS:-64}
SWEEP=${FLOOD_SWEEP:-25000 50000 100000 150000 200000}
SWEEP_SECONDS=${FLOOD_SWEEP_SECONDS:-6}
LEGIT_NORMAL_S=${LEGIT_NORMAL_S:-1}
PY=/usr/bin/python3
FLOOD_NET=198.19.0.0   # spoofed sources (a /17: FLOOD_SOURCES <= 32768)
LOCAL_SRCS=198.19.255.1,198.19.255.2,198.19.255.3,198.19.255.4

# shellcheck source=bench/flood_lib.sh
source "$ROOT/bench/flood_lib.sh"
now() { date +%s.%N; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$ESPGATE_PID/status"; }
# stats_save FILE: espgatectl stats --json into FILE.
stats_save() { eg_ctl --json stats >"$1" || die "espgatectl stats"; }
# sj FILE EXPR: a Python expression over d = that stats snapshot.
sj() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# delta A B KEY: d["ike"][KEY] in B minus in A.
delta() { echo $(($(sj "$2" "d['ike']['$3']") - $(sj "$1" "d['ike']['$3']"))); }
kv() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
half_open() { eg_ctl --json stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ike"]["half_open"])'; }

# wan_rx FILE: espgate's wan port (the second) rx_packets in a snapshot.
wan_rx() { sj "$1" "d['ports'][1]['rx_packets']"; }
# nonzero_drops FILE0 FILE1 SECTION: {reason: increase} of a drops block
# (workers[0] or control) where it grew.
nonzero_drops() {
	"$PY" - "$1" "$2" "$3" <<'PYEOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
pick = (lambda d: d["workers"][0]["drops"]) if sys.argv[3] == "worker" else (lambda d: d["control"]["drops"])
print({k: v - pick(a).get(k, 0) for k, v in pick(b).items() if v - pick(a).get(k, 0)} or "none")
PYEOF
}
# phase_report S0 S1 SENT: where SENT datagrams went between two snapshots:
# espgate's wan port rx, the worker's and the control's drops by reason,
# the ike counters that grew, and what the kernel lost before the PMD
# (veth / af_packet ring overflow: DPDK 22.11's af_packet PMD reports none).
phase_report() {
	local rx
	rx=$(($(wan_rx "$2") - $(wan_rx "$1")))
	echo "  espgate wan port rx $rx packets; lost before espgate (kernel, not counted by the PMD) about $(($3 - rx)); rx_missed +$(($(sj "$2" "d['ports'][1]['rx_missed']") - $(sj "$1" "d['ports'][1]['rx_missed']")))"
	echo "  worker drops: $(nonzero_drops "$1" "$2" worker); control drops: $(nonzero_drops "$1" "$2" control)"
	printf '  ike:'
	for k in init_requests init_no_conn cookies_sent cookies_rejected half_open_capped bad_messages responses_resent bad_spis refusals_limited log_rate_limited; do
		printf ' %s +%s' "$k" "$(delta "$1" "$2" "$k")"
	done
	echo
}

TUN_IKE_PROPOSAL=aes128gcm16-prfsha256-x25519
TUN_EG_ROUTES=', {"prefix": "198.19.0.0/16", "via": "203.0.113.2"}'
# Replies to the spoofed sources die in br; 198.19.255.1-4 are br's own.
flood_topo_extra() {
	local a
	ip -n "$NS_BR" route add blackhole 198.19.0.0/16 || return 1
	for a in ${LOCAL_SRCS//,/ }; do ip -n "$NS_BR" addr add "$a/32" dev lo || return 1; done
}
flood_start ikf "$FLOOD"

# legit_up: seconds for charon to bring the tunnel up (LEGIT_S; "fail").
legit_up() {
	local t0
	t0=$(now)
	if tunnel_up 30 >"$W/legit-up.log" 2>&1; then
		LEGIT_S=$(calc "$(now) - $t0" 2)
	else
		LEGIT_S=fail
	fi
}
# legit_down: charon deletes the IKE SA; espgate lists none.
legit_down() {
	sw_terminate_ike br "$TUN_CONN" >/dev/null 2>&1
	wait_for "[ \"\$(eg_json 'len(d[\"ike_sas\"])')\" = 0 ]" 10 || die "IKE SA not deleted"
}

# --- unflooded -------------------------------------------------------------
ups=()
for i in 1 2 3; do
	legit_up
	[ "$LEGIT_S" = fail ] && die "the tunnel does not come up unflooded: $(tail -n 3 "$W/legit-up.log")"
	ups+=("$LEGIT_S")
	legit_down
done
UNFLOODED=$(printf '%s\n' "${ups[@]}" | sort -n | sed -n 2p)
echo "unflooded: tunnel up in ${ups[*]} s (median $UNFLOODED s)"

# --- IKE_SA_INIT flood -----------------------------------------------------
stats_save "$W/s0.json"
RSS0=$(rss_kib)
MB0=$(sj "$W/s0.json" "d['resources']['mbufs_in_use']")
(while :; do half_open 2>/dev/null; sleep 0.5; done) >"$W/half_open.txt" &
SAMPLER=$!
NETNS_PIDS+=("$SAMPLER")
bg_run GEN "$W/flood-init.out" ip netns exec "$NS_BR" "$FLOOD" init --dst "$GW_WAN_V4" \
	--src-net "$FLOOD_NET" --src-count "$SOURCES" --seconds "$SECS"
sleep "$DELAY"
legit_up
FLOODED=$LEGIT_S
wait "$GEN" 2>/dev/null
stats_save "$W/s1.json"
RSS1=$(rss_kib)
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
OUT=$(tail -n 1 "$W/flood-init.out")
case $OUT in ike_flood:*) ;; *) die "ike_flood init: $OUT" ;; esac
RPS=$(kv "$OUT" pps)
PEAK=$(sort -n "$W/half_open.txt" | tail -n 1)
FS=$(kv "$OUT" seconds)
echo "init flood: $(kv "$OUT" sent) IKE_SA_INIT in $FS s from $SOURCES addresses: $RPS/s sent (send errors $(kv "$OUT" send_errors))"
phase_report "$W/s0.json" "$W/s1.json" "$(kv "$OUT" sent)"
D_INIT=$(delta "$W/s0.json" "$W/s1.json" init_requests)
D_COOK=$(delta "$W/s0.json" "$W/s1.json" cookies_sent)
echo "  the engine took $D_INIT IKE_SA_INIT ($(calc "$D_INIT / $FS" 0)/s): $D_COOK answered with a COOKIE, $((D_INIT - D_COOK - $(delta "$W/s0.json" "$W/s1.json" half_open_capped) - $(delta "$W/s0.json" "$W/s1.json" bad_messages))) admitted (half-open SAs made, the legitimate one included)"
echo "  half-open SAs: peak $PEAK (samples every 0.5 s)"
echo "  legitimate tunnel up in $FLOODED s under the flood (unflooded $UNFLOODED s)"
echo "  espgate VmRSS $RSS0 -> $RSS1 KiB (+$((RSS1 - RSS0)))"
t0=$(now)
wait_for "[ \"\$(half_open)\" = 0 ]" 40
echo "  half-open SAs after $(calc "$(now) - $t0" 0) s more: $(half_open)"

# --- the rate held: the same flood paced, charon connecting ---------------
# At each rate of SWEEP the flood runs SWEEP_SECONDS and charon brings the
# tunnel up DELAY s in. Held: the tunnel up within LEGIT_NORMAL_S (1 s,
# under charon's first retransmission at 4 s: no request of its lost).
HELD=0
SWEEP_TABLE=""
for r in $SWEEP; do
	legit_down
	stats_save "$W/sw0-$r.json"
	bg_run GEN "$W/flood-sweep-$r.out" ip netns exec "$NS_BR" "$FLOOD" init --dst "$GW_WAN_V4" \
		--src-net "$FLOOD_NET" --src-count "$SOURCES" --seconds "$SWEEP_SECONDS" --pps "$r"
	sleep "$DELAY"
	legit_up
	wait "$GEN" 2>/dev/null
	OUT=$(tail -n 1 "$W/flood-sweep-$r.out")
	case $OUT in ike_flood:*) ;; *) die "ike_flood init --pps $r: $OUT" ;; esac
	stats_save "$W/sw1-$r.json"
	echo "sweep: flood paced at $r/s (sent $(kv "$OUT" pps)/s; the engine took $(calc "$(delta "$W/sw0-$r.json" "$W/sw1-$r.json" init_requests) / $(kv "$OUT" seconds)" 0)/s, $(delta "$W/sw0-$r.json" "$W/sw1-$r.json" cookies_sent) COOKIEs): legitimate tunnel up in $LEGIT_S s"
	SWEEP_TABLE+=" $r:$LEGIT_S"
	if [ "$LEGIT_S" != fail ] && awk "BEGIN { exit !($LEGIT_S <= $LEGIT_NORMAL_S) }"; then
		[ "$r" -gt "$HELD" ] && HELD=$r
	fi
	wait_for "[ \"\$(half_open)\" = 0 ]" 40 || echo "  half-open SAs not reaped within 40 s: $(half_open)"
done
echo "rate held (tunnel up within $LEGIT_NORMAL_S s): $HELD/s;$SWEEP_TABLE"

# --- IKE_AUTH flood with bad integrity -------------------------------------
stats_save "$W/s2.json"
OUT=$(ip netns exec "$NS_BR" "$FLOOD" auth --dst "$GW_WAN_V4" --src "$LOCAL_SRCS" \
	--sas "$AUTH_SAS" --seconds "$SECS" 2>"$W/flood-auth.err" | tail -n 1)
case $OUT in ike_flood:*) ;; *) die "ike_flood auth: $OUT $(cat "$W/flood-auth.err")" ;; esac
stats_save "$W/s3.json"
AUTH_PPS=$(kv "$OUT" pps)
echo "auth flood: $(kv "$OUT" sas) half-open SAs, $(kv "$OUT" sent) IKE_AUTH with bad ICVs in $(kv "$OUT" seconds) s: $AUTH_PPS/s; answered $(kv "$OUT" replies)"
phase_report "$W/s2.json" "$W/s3.json" "$(kv "$OUT" sent)"
echo "  half_open $(sj "$W/s3.json" "d['ike']['half_open']"), IKE SAs $(sj "$W/s3.json" "d['resources']['ike_sas']")"

# --- retransmits of one request --------------------------------------------
OUT=$(ip netns exec "$NS_BR" "$FLOOD" retx --dst "$GW_WAN_V4" --src 198.19.255.1 \
	--seconds "$SECS" 2>"$W/flood-retx.err" | tail -n 1)
case $OUT in ike_flood:*) ;; *) die "ike_flood retx: $OUT $(cat "$W/flood-retx.err")" ;; esac
stats_save "$W/s4.json"
RETX_PPS=$(kv "$OUT" pps)
echo "retransmit flood: $(kv "$OUT" sent) copies of one IKE_SA_INIT in $(kv "$OUT" seconds) s: $RETX_PPS/s; $(kv "$OUT" replies) answers received"
phase_report "$W/s3.json" "$W/s4.json" "$(kv "$OUT" sent)"
echo "  (init_requests +1 would be the first copy's: each other copy answered from the kept response, not processed again)"

sleep 1
stats_save "$W/s5.json"
legit=$(tunnel_eg_up && echo up || echo down)
echo "end: legitimate tunnel $legit; mbufs in use $MB0 -> $(sj "$W/s5.json" "d['resources']['mbufs_in_use']"); espgate VmRSS $(rss_kib) KiB"
echo "RESULT ike_flood_rps=$RPS legit_up_s=$FLOODED legit_up_unflooded_s=$UNFLOODED ike_flood_held_rps=$HELD half_open_peak=$PEAK rss_growth_kib=$((RSS1 - RSS0)) auth_flood_pps=$AUTH_PPS retx_pps=$RETX_PPS"
