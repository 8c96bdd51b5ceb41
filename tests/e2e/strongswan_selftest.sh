#!/bin/bash
# Self-test of scripts/lib/strongswan.sh: two strongSwan charons in two
# network namespaces negotiate IKEv2 and ESP (kernel-libipsec, UDP-encap)
# with each other. Prints TAP. Needs root; no espgate involved.
#
#   bash tests/e2e/strongswan_selftest.sh [BUILD_DIR]   (BUILD_DIR unused)
#
#   a: 192.0.2.1/24 [veth] ---- [veth] 192.0.2.2/24 :b
#      198.18.1.1 (lo)                  198.18.2.1 (lo)
#      tunnel 198.18.1.0/24 <=> 198.18.2.0/24, routes via ipsec0 (charon)
#
# For each of three proposals (each its own connection): IKE and Child SA
# up, same SPIs seen from both ends, ping through the tunnel, Child SA
# rekey, IKE SA rekey, terminate. NETNS_KEEP_WORKDIR=1 keeps configs/logs;
# SW_SELFTEST_VERBOSE=1 shows each step's output as TAP diagnostics.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T0=$(date +%s.%N)

DEPS_TAP=1 # a missing package: one "Bail out!" line naming it
# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"

# name  IKE proposal                        ESP proposal             expected: IKE encr/keysize/integ/prf/dh   ESP encr/keysize/integ
PROPOSALS=(
	"gcm aes256gcm16-prfsha384-ecp384 aes256gcm16-ecp384 AES_GCM_16/256/-/PRF_HMAC_SHA2_384/ECP_384 AES_GCM_16/256/-"
	"cbc aes128-sha256-modp2048 aes128-sha256-modp2048 AES_CBC/128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_CBC/128/HMAC_SHA2_256_128"
	"chacha chacha20poly1305-prfsha256-x25519 chacha20poly1305-x25519 CHACHA20_POLY1305/*/-/PRF_HMAC_SHA2_256/CURVE_25519 CHACHA20_POLY1305/*/-"
)
PLAN=$((4 + 5 * ${#PROPOSALS[@]} + 1))
N=0
FAILED=0
FATAL=""
echo "1..$PLAN"

diag() { sed 's/^/# /'; }
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; }

show_logs() {
	local s
	for s in a b; do
		{ [ -n "${SW_DIR[$s]:-}" ] && [ -s "$(sw_log "$s")" ]; } || continue
		{ echo "charon $s log (tail):"; tail -n 15 "$(sw_log "$s")"; } | diag
	done
}

# check DESC CMD...: one test point; CMD's output goes to $LOG_T and is shown
# with the charon logs when it fails. After a fatal failure the rest fail.
LOG_T=/dev/null
check() {
	local desc=$1
	shift
	if [ -n "$FATAL" ]; then
		not_ok "$desc"
		echo "# not run: $FATAL"
		return 1
	fi
	if "$@" >"$LOG_T" 2>&1; then
		ok "$desc"
		[ "${SW_SELFTEST_VERBOSE:-0}" = 1 ] && diag <"$LOG_T"
		return 0
	fi
	not_ok "$desc"
	tail -n 30 "$LOG_T" | diag
	show_logs
	return 1
}

finish() {
	while [ "$N" -lt "$PLAN" ]; do
		not_ok "not reached"
	done
	echo "# wall time: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
}

# ---------------------------------------------------------------------------
if ! netns_init sws; then
	not_ok "namespaces a, b and veth set up"
	echo "# must run as root"
	finish
	exit 1
fi
trap 'finish; netns_cleanup || exit 1' EXIT
# A reader that goes away (`... | head`) must not kill us before cleanup.
trap "" PIPE
W=$NETNS_WORKDIR
LOG_T=$W/step.log
NS_A="$NETNS_ID-a"
NS_B="$NETNS_ID-b"
IF_A="${NETNS_ID}a"
IF_B="${NETNS_ID}b"
IN_A=198.18.1.1
IN_B=198.18.2.1

# 1: topology
setup_topology() {
	local p
	for p in ping swanctl "$SW_CHARON"; do
		command -v "$p" >/dev/null || { echo "missing: $p (run scripts/setup.sh)"; return 1; }
	done
	ns_create "$NS_A" && ns_create "$NS_B" || return 1
	veth_create "$IF_A" "$NS_A" "$IF_B" "$NS_B" || return 1
	link_up "$NS_A" "$IF_A" && link_up "$NS_B" "$IF_B" || return 1
	ip -n "$NS_A" addr add 192.0.2.1/24 dev "$IF_A" || return 1
	ip -n "$NS_B" addr add 192.0.2.2/24 dev "$IF_B" || return 1
	# The protected networks: one address each on lo (no dummy module here).
	ip -n "$NS_A" addr add "$IN_A/32" dev lo || return 1
	ip -n "$NS_B" addr add "$IN_B/32" dev lo || return 1
	nsx "$NS_A" ping -n -c 1 -w 5 192.0.2.2
}
check "namespaces a, b, veth 192.0.2.1 <-> 192.0.2.2, inner $IN_A / $IN_B" setup_topology ||
	FATAL="topology setup failed"

# 2-3: charons
SW_INSTALL_ROUTES=yes SW_RETRANSMIT_TRIES=2 SW_RETRANSMIT_TIMEOUT=1 SW_RETRANSMIT_BASE=1.5
export SW_INSTALL_ROUTES SW_RETRANSMIT_TRIES SW_RETRANSMIT_TIMEOUT SW_RETRANSMIT_BASE
start_one() {
	sw_setup "$1" "$2" && sw_start "$1" 10 && sw_swanctl "$1" --stats
}
check "charon a starts in $NS_A, vici answers swanctl --stats" start_one a "$NS_A" ||
	FATAL="charon a did not start"
check "charon b starts in $NS_B, vici answers swanctl --stats" start_one b "$NS_B" ||
	FATAL="charon b did not start"

# 4: one connection per proposal on each side
load_conns() {
	local s l r line pname ike esp
	for s in a b; do
		if [ "$s" = a ]; then l=a r=b; else l=b r=a; fi
		for line in "${PROPOSALS[@]}"; do
			read -r pname ike esp _ _ <<<"$line"
			sw_conn "$s" "$pname" \
				local_addrs="192.0.2.$([ $s = a ] && echo 1 || echo 2)" \
				remote_addrs="192.0.2.$([ $s = a ] && echo 2 || echo 1)" \
				local_id="$l-$pname.example" remote_id="$r-$pname.example" \
				psk="selftest-$pname-0123456789" \
				proposals="$ike" esp_proposals="$esp" \
				local_ts="198.18.$([ $s = a ] && echo 1 || echo 2).0/24" \
				remote_ts="198.18.$([ $s = a ] && echo 2 || echo 1).0/24" \
				mode=tunnel start_action=none dpd_delay=0 mobike=no || return 1
		done
		sw_load "$s" || return 1
		sw_swanctl "$s" --list-conns
	done
}
check "3 connections (gcm, cbc, chacha) loaded into both charons" load_conns ||
	FATAL="swanctl --load-all failed"

# sa_check CONN IKE_EXPECT ESP_EXPECT: both sides' JSON (sw_list_sas_json):
# exactly one IKE SA, ESTABLISHED, with the expected algorithms; exactly one
# Child SA, INSTALLED ESP TUNNEL, UDP-encapsulated, crossed SPIs.
sa_check() {
	local conn=$1 ikex=$2 espx=$3
	sw_list_sas_json a >"$W/a.json" && sw_list_sas_json b >"$W/b.json" || return 1
	/usr/bin/python3 - "$W/a.json" "$W/b.json" "$conn" "$ikex" "$espx" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
conn, ikex, espx = sys.argv[3], sys.argv[4].split("/"), sys.argv[5].split("/")
def want(obj, key, exp, what):
    if exp == "*":
        return
    got = obj.get(key, "-")
    if got != exp:
        sys.exit("%s: %s is %r, expected %r" % (what, key, got, exp))
for side, d in (("a", a), ("b", b)):
    if len(d) != 1:
        sys.exit("%s: %d IKE SAs: %s" % (side, len(d), json.dumps(d)))
    s = d[0]
    print("%s: IKE %s %s %s:%s -> %s:%s %s/%s/%s/%s/%s nat-remote=%s, children %s" % (
        side, s["name"], s["state"], s["local-host"], s["local-port"],
        s["remote-host"], s["remote-port"], s.get("encr-alg"), s.get("encr-keysize"),
        s.get("integ-alg"), s.get("prf-alg"), s.get("dh-group"), s["nat-remote"],
        [(c["name"], c["state"], c["spi-in"], c["spi-out"]) for c in s["children"]]))
    want(s, "name", conn, side)
    want(s, "state", "ESTABLISHED", side)
    for key, exp in zip(("encr-alg", "encr-keysize", "integ-alg", "prf-alg", "dh-group"), ikex):
        want(s, key, exp, side + " IKE")
    # After a Child SA rekey, charon keeps the old SA (state REKEYED, then
    # DELETED) for delete_rekeyed_delay (5 s) to catch late packets.
    inst = [c for c in s["children"] if c["state"] == "INSTALLED"]
    if len(inst) != 1:
        sys.exit("%s: %d installed child SAs" % (side, len(inst)))
    c = inst[0]
    for key, exp in (("name", conn), ("state", "INSTALLED"), ("protocol", "ESP"), ("mode", "TUNNEL")):
        want(c, key, exp, side + " child")
    for key, exp in zip(("encr-alg", "encr-keysize", "integ-alg"), espx):
        want(c, key, exp, side + " child")
    if not c["encap"]:
        sys.exit(side + ": child not UDP-encapsulated")
ca, cb = ([c for c in d[0]["children"] if c["state"] == "INSTALLED"][0] for d in (a, b))
if ca["spi-in"] != cb["spi-out"] or ca["spi-out"] != cb["spi-in"]:
    sys.exit("SPIs do not cross: a in/out %s/%s, b in/out %s/%s" % (
        ca["spi-in"], ca["spi-out"], cb["spi-in"], cb["spi-out"]))
if a[0]["initiator-spi"] != b[0]["initiator-spi"] or a[0]["responder-spi"] != b[0]["responder-spi"]:
    sys.exit("IKE SPIs differ between a and b")
if (a[0]["local-id"], a[0]["remote-id"]) != (b[0]["remote-id"], b[0]["local-id"]):
    sys.exit("identities do not cross")
PY
}

establish() {
	local conn=$1
	sw_initiate a "$conn" 10 || return 1
	# b installs its Child SA before it answers, but do not rely on it.
	sw_wait_json b "[c for s in d for c in s['children'] if c['state'] == 'INSTALLED']" 5
	sa_check "$@"
}

# ping_tunnel: 3 pings from a's inner address to b's, none lost, and the
# Child SA counters on both sides moved.
ping_tunnel() {
	local conn=$1
	nsx "$NS_A" ping -n -c 3 -i 0.2 -W 2 -w 10 -I "$IN_A" "$IN_B" || return 1
	nsx "$NS_A" ip route show table 220
	sw_list_sas_json a >"$W/a.json" && sw_list_sas_json b >"$W/b.json" || return 1
	/usr/bin/python3 - "$W/a.json" "$W/b.json" <<'PY'
import json, sys
for side, p in zip("ab", sys.argv[1:3]):
    c = json.load(open(p))[0]["children"][0]
    print("%s: packets in/out %d/%d bytes in/out %d/%d" % (
        side, c["packets-in"], c["packets-out"], c["bytes-in"], c["bytes-out"]))
    if c["packets-in"] < 3 or c["packets-out"] < 3:
        sys.exit(side + ": Child SA counters did not count the pings")
PY
}

# rekey_child CONN IKE_EXPECT ESP_EXPECT: new SPIs on both sides, the old
# Child SA gone, then the usual checks and a ping through the new SAs.
rekey_child() {
	local conn=$1 old
	old=$(sw_child_spis a "$conn") || return 1
	echo "before: a spi-in/out $old"
	sw_rekey_child a "$conn" || return 1
	local in=${old% *}
	# exactly one INSTALLED Child SA, with new SPIs; the old one may linger
	# (not INSTALLED) for charon's delete_rekeyed_delay.
	local inst="[c for c in d[0]['children'] if c['state'] == 'INSTALLED']"
	local cond="len(d) == 1 and len($inst) == 1 and '$in' not in (${inst}[0]['spi-in'], ${inst}[0]['spi-out']) and all(c['spi-in'] != '$in' or c['state'] != 'INSTALLED' for c in d[0]['children'])"
	sw_wait_json a "$cond" 10 || { echo "a: no single new Child SA"; sw_list_sas_json a; return 1; }
	sw_wait_json b "$cond" 10 || { echo "b: no single new Child SA"; sw_list_sas_json b; return 1; }
	echo "after: a spi-in/out $(sw_child_spis a "$conn")"
	sa_check "$@" || return 1
	echo "a: child SAs now: $(sw_json a "[(c['spi-in'], c['state'], c.get('dh-group')) for c in d[0]['children']]")"
	nsx "$NS_A" ping -n -c 2 -i 0.2 -W 2 -w 10 -I "$IN_A" "$IN_B"
}

rekey_ike() {
	local conn=$1 old
	old=$(sw_json a "d[0]['initiator-spi']") || return 1
	sw_rekey_ike a "$conn" || return 1
	local cond="len(d) == 1 and d[0]['state'] == 'ESTABLISHED' and d[0]['initiator-spi'] != '$old'"
	sw_wait_json a "$cond" 10 || { echo "a: no single new IKE SA"; sw_list_sas_json a; return 1; }
	sw_wait_json b "$cond" 10 || { echo "b: no single new IKE SA"; sw_list_sas_json b; return 1; }
	echo "IKE initiator SPI $old -> $(sw_json a "d[0]['initiator-spi']")"
	sa_check "$@"
}

terminate() {
	local conn=$1
	sw_terminate_ike a "$conn" 10 || return 1
	sw_wait_json a "d == []" 10 || { sw_list_sas_json a; return 1; }
	sw_wait_json b "d == []" 10 || { sw_list_sas_json b; return 1; }
	nsx "$NS_A" ip route show table 220
	[ -z "$(nsx "$NS_A" ip route show table 220)" ] || { echo "a: routes left in table 220"; return 1; }
}

for line in "${PROPOSALS[@]}"; do
	read -r pname ike esp ikex espx <<<"$line"
	if check "$pname: IKE SA ESTABLISHED ($ike), Child SA INSTALLED ($esp), SPIs cross a<->b" \
		establish "$pname" "$ikex" "$espx"; then
		check "$pname: ping $IN_A -> $IN_B through the tunnel, Child SA counters count it" \
			ping_tunnel "$pname"
		check "$pname: Child SA rekey: new SPIs on both sides, old SA not INSTALLED, ping works" \
			rekey_child "$pname" "$ikex" "$espx"
		check "$pname: IKE SA rekey gives new IKE SPIs on both sides, Child SA kept" \
			rekey_ike "$pname" "$ikex" "$espx"
		check "$pname: terminate removes IKE and Child SAs on both sides" terminate "$pname"
	else
		for desc in ping "Child SA rekey" "IKE SA rekey"; do
			not_ok "$pname: $desc (not run: no SA)"
		done
		# Leave nothing behind for the next proposal.
		check "$pname: terminate removes IKE and Child SAs on both sides" terminate "$pname"
	fi
done

stop_both() {
	local pa=${SW_PID[a]} pb=${SW_PID[b]}
	sw_stop a
	sw_kill b
	! kill -0 "$pa" 2>/dev/null && ! kill -0 "$pb" 2>/dev/null || return 1
	[ -z "$(ip netns pids "$NS_A")$(ip netns pids "$NS_B")" ]
}
check "charon a stops (sw_stop), charon b is killed (sw_kill), namespaces empty" stop_both

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
