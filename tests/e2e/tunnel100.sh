#!/bin/bash
# 100 tunnels at once: one strongSwan charon initiates 100 connections (100
# IKE SAs, one Child SA each) to one espgate; all come up, traffic passes
# through a sample of them. Prints TAP. Needs root.
#
#   bash tests/e2e/tunnel100.sh [BUILD_DIR]      (default: build)
#
# TUN_VERSION=1 (tests/e2e/tunnel100_v1.sh) makes every connection on both
# sides IKEv1: 100 ISAKMP SAs in main mode, one quick mode each.
#
# Topology: scripts/lib/tunnel.sh (host -- br: charon -- gw: espgate -- srv).
# charon has connections t1..t100, each its own IKE SA, child tK with
# local_ts 198.18.1.K/32 and remote_ts 198.18.2.0/24. espgate has its one
# connection "branch" (child "net": 198.18.2.0/24 <=> 198.18.1.0/24), which
# narrows to what each peer proposes. charon (install_routes = yes) routes
# 198.18.2.0/24 into ipsec0. The
# connections differ in their IKE rekey_time (4 h + K s): charon otherwise
# finds them equal and puts every child into the first IKE SA.
#  1  set up: namespaces, espgate, charon with 100 connections loaded
#  2  all 100 initiated at once (swanctl --initiate, in parallel): every
#     swanctl succeeds
#  3  within TUNNEL100_UP_TIMEOUT s (60) of the first initiation espgate
#     lists 100 IKE SAs ESTABLISHED and 100 Child SAs INSTALLED
#  4  charon lists 100 INSTALLED Child SAs, tK's local_ts 198.18.1.K/32,
#     and their SPIs are espgate's (in <-> out)
#  5  ping srv from 198.18.1.K (addresses of br, on lo) for a sample of K (5
#     each, no loss)
#  6  espgate's per-SA counters: each sampled Child SA's data-plane SAs
#     counted those packets (in and out, equal to charon's), every other
#     Child SA's counted none
#  7  SIGTERM: espgate exits 0 and logs "mbufs in use at exit: 0"
# NETNS_KEEP_WORKDIR=1 keeps configs and logs.

set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NT=100                                  # tunnels
SAMPLE="2 26 51 75 100"                 # tunnels pinged through
UP_TIMEOUT=${TUNNEL100_UP_TIMEOUT:-60}  # s, all 100 up

# shellcheck source=scripts/lib/tunnel_suite.sh
source "$ROOT/scripts/lib/tunnel_suite.sh" "${1:-}"
# IKEv1's phase 1 has no AEAD cipher (RFC 2409 App. A): CBC and HMAC there
[ "${TUN_VERSION:-2}" = 1 ] && TUN_IKE_PROPOSAL=aes256-sha384-ecp384

PLAN=7
echo "1..$PLAN"

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---------------------------------------------------------------------------
tap_start e100 "namespaces, espgate and charon set up"
EG_LOG=$W/espgate.log
: >"$NOTES"

# 1: topology, espgate, charon with t1..t100
setup() {
	local k
	suite_programs ping || return 1
	tunnel_topo_create || return 1
	tunnel_espgate_config "$W/espgate.json" info || return 1
	eg_start "$W/espgate.json" "$EG_LOG" || return 1
	# 100 swanctl --initiate at once each hold one of charon's threads
	# until their SA is up: enough threads to spare
	SW_INSTALL_ROUTES=yes SW_CHARON_EXTRA="  threads = $((NT + 32))" sw_setup br "$NS_BR" || return 1
	for ((k = 1; k <= NT; k++)); do
		sw_conn br "t$k" child="t$k" \
			local_addrs="$BR_WAN_V4" remote_addrs="$GW_WAN_V4" \
			local_id=branch.example remote_id=hq.example psk="$TUN_PSK" \
			proposals="$TUN_IKE_PROPOSAL" esp_proposals="$TUN_ESP_PROPOSAL" \
			local_ts="198.18.1.$k/32" remote_ts="$HQ_NET" \
			ike_rekey_time=$((14400 + k)) ${TUN_VERSION:+version=$TUN_VERSION} || return 1
	done
	sw_start br || return 1
	sw_load br >"$W/load.txt" || { tail -n 5 "$W/load.txt"; return 1; }
	tail -n 1 "$W/load.txt"
	[ "$(sw_swanctl br --list-conns | grep -c "^t[0-9]*: IKEv${TUN_VERSION:-2}")" -eq "$NT" ] || {
		echo "charon did not load $NT connections"
		return 1
	}
	# br owns 198.18.1.K (on lo): charon's kernel-libipsec installs the
	# route of each child with source 198.18.1.K and fails the child when
	# the kernel refuses it (a source address br does not have)
	for ((k = 2; k <= NT; k++)); do
		ip -n "$NS_BR" addr add "198.18.1.$k/32" dev lo || return 1
	done
}
check "namespaces host, br, gw, srv; espgate in gw; charon in br with $NT connections t1..t$NT loaded" setup ||
	FATAL="setup failed"

# 2: initiate all at once
T_UP0=""
initiate_all() {
	local k fails=0
	local -a pids=()
	T_UP0=$(date +%s.%N)
	for ((k = 1; k <= NT; k++)); do
		SW_CMD_TIMEOUT=$((UP_TIMEOUT + 5)) sw_swanctl br --initiate --child "t$k" --timeout "$UP_TIMEOUT" \
			>"$W/init-t$k.txt" 2>&1 &
		pids[k]=$!
	done
	for ((k = 1; k <= NT; k++)); do
		# each is bounded by its own timeout (UP_TIMEOUT + 5)
		wait "${pids[k]}" || {
			fails=$((fails + 1))
			echo "t$k: swanctl --initiate failed: $(tail -n 2 "$W/init-t$k.txt" | tr '\n' ' ')"
		}
	done
	note "$((NT - fails)) of $NT swanctl --initiate succeeded; all returned $(elapsed "$T_UP0") s after the first started"
	[ "$fails" -eq 0 ]
}
check "charon initiates t1..t$NT at once (swanctl --initiate in parallel): each succeeds" initiate_all

# 3: espgate: 100 IKE SAs, 100 Child SAs
eg_counts() { # "IKE_ESTABLISHED CHILD_INSTALLED DATAPLANE_SAS"
	eg_json "'%d %d %d' % (len([s for s in d['ike_sas'] if s['conn'] == '$TUN_CONN' and s['state'] == 'ESTABLISHED']), len([c for c in d['child_sas'] if c['conn'] == '$TUN_CONN' and c['state'] == 'INSTALLED']), len(d['sas']))"
}
eg_all_up() { [ "$(eg_counts | cut -d' ' -f1,2)" = "$NT $NT" ]; }
eg_up() {
	local rest c
	[ -n "$T_UP0" ] || return 1
	rest=$(awk -v a="$T_UP0" -v b="$(date +%s.%N)" -v t="$UP_TIMEOUT" 'BEGIN { r = t - (b - a); printf "%.1f", r < 0.1 ? 0.1 : r }')
	wait_for eg_all_up "$rest"
	c=$(eg_counts) || return 1
	note "espgate: $(echo "$c" | awk '{ printf "%d IKE SAs ESTABLISHED, %d Child SAs INSTALLED, %d data-plane SAs", $1, $2, $3 }') $(elapsed "$T_UP0") s after the first initiation"
	[ "${c% *}" = "$NT $NT" ] || { eg_ctl sas | head -n 40; return 1; }
	# exactly these: nothing else lingering, two data-plane SAs each
	[ "$(eg_json "len(d['ike_sas']), len(d['child_sas']), len(d['sas'])")" = "($NT, $NT, $((2 * NT)))" ] || {
		echo "espgate lists other SAs too: $(eg_json "len(d['ike_sas']), len(d['child_sas']), len(d['sas'])")"
		return 1
	}
}
check "within $UP_TIMEOUT s espgate lists $NT IKE SAs ESTABLISHED, $NT Child SAs INSTALLED (and 2 data-plane SAs each)" eg_up

# 4: charon agrees
spis_agree() {
	eg_sas_json >"$W/eg-sas.json" && sw_list_sas_json br >"$W/sw-sas.json" || return 1
	"$PY" - "$W/eg-sas.json" "$W/sw-sas.json" "$NT" <<'EOF'
import json, sys
eg, sw, nt = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
kids = [(s, c) for s in sw for c in s["children"] if c["state"] == "INSTALLED"]
ike = [s for s in sw if s["state"] == "ESTABLISHED"]
print("charon: %d IKE SAs ESTABLISHED, %d Child SAs INSTALLED" % (len(ike), len(kids)))
rc = 0
names = sorted(c["name"] for s, c in kids)
want = sorted("t%d" % k for k in range(1, nt + 1))
if names != want:
    print("charon's INSTALLED children are not t1..t%d once each: %s" % (nt, names)); rc = 1
for s, c in kids:
    k = int(c["name"][1:])
    if c["local-ts"] != ["198.18.1.%d/32" % k] or c["remote-ts"] != ["198.18.2.0/24"]:
        print("%s: local-ts %s remote-ts %s" % (c["name"], c["local-ts"], c["remote-ts"])); rc = 1
    if s["name"] != c["name"]:
        print("child %s in IKE SA of %s" % (c["name"], s["name"])); rc = 1
ikes = {}
for s, c in kids:
    ikes.setdefault(s["uniqueid"], []).append(c["name"])
if len(ikes) != nt:
    print("the %d children are in %d IKE SAs" % (len(kids), len(ikes))); rc = 1
swp = sorted((c["spi-out"], c["spi-in"]) for s, c in kids)
egp = sorted((c["spi_in"], c["spi_out"]) for c in eg["child_sas"] if c["state"] == "INSTALLED")
if swp != egp:
    print("SPIs differ: only espgate (in, out): %s; only charon (out, in): %s" %
          (sorted(set(egp) - set(swp))[:10], sorted(set(swp) - set(egp))[:10])); rc = 1
else:
    print("the %d SPI pairs agree" % len(swp))
egike = set(c["ike_id"] for c in eg["child_sas"])
if len(egike) != nt:
    print("espgate's %d Child SAs are in %d IKE SAs" % (len(eg["child_sas"]), len(egike))); rc = 1
sys.exit(rc)
EOF
}
check "charon lists $NT IKE SAs with one INSTALLED Child SA each (tK: 198.18.1.K/32 <=> 198.18.2.0/24); SPIs are espgate's" spis_agree

# 5: ping through the sample
pings() {
	local k rc=0
	for k in $SAMPLE; do
		nsx "$NS_BR" ping -n -c 5 -i 0.2 -W 2 -w 10 -I "198.18.1.$k" "$SRV_V4" >"$W/ping-$k.txt" 2>&1 || {
			rc=1
			echo "from 198.18.1.$k:"
			tail -n 3 "$W/ping-$k.txt"
		}
		note "198.18.1.$k -> $SRV_V4: $(grep -o '[0-9]* packets transmitted, [0-9]* received, [0-9.]*% packet loss' "$W/ping-$k.txt")"
	done
	return $rc
}
check "ping srv ($SRV_V4) from br's 198.18.1.K for K in $SAMPLE through tunnel tK (5 each, no loss)" pings

# 6: per-SA counters
counters() {
	sleep 0.5
	eg_sas_json >"$W/eg-sas-2.json" && sw_list_sas_json br >"$W/sw-sas-2.json" || return 1
	"$PY" - "$W/eg-sas-2.json" "$W/sw-sas-2.json" "$SAMPLE" <<'EOF' >"$W/counters.txt"
import json, sys
eg, sw = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sample = set(int(k) for k in sys.argv[3].split())
sas = {s["id"]: s for s in eg["sas"]}
egc = {(c["spi_in"], c["spi_out"]): c for c in eg["child_sas"] if c["state"] == "INSTALLED"}
rc = 0
idle_moved = []
seen = set()
for s in sw:
    for k in s["children"]:
        if k["state"] != "INSTALLED":
            continue
        n = int(k["name"][1:])
        c = egc.get((k["spi-out"], k["spi-in"]))
        if not c:
            print("%s: no espgate Child SA with SPIs in %s out %s" % (k["name"], k["spi-out"], k["spi-in"])); rc = 1
            continue
        si, so = sas.get(c["sa_in"]), sas.get(c["sa_out"])
        if not si or not so:
            print("%s: espgate's data-plane SAs %s/%s not listed" % (k["name"], c["sa_in"], c["sa_out"])); rc = 1
            continue
        ein, eout = (si["packets"], si["bytes"]), (so["packets"], so["bytes"])
        cout, cin = (k["packets-out"], k["bytes-out"]), (k["packets-in"], k["bytes-in"])
        if n in sample:
            seen.add(n)
            good = ein[0] >= 5 and eout[0] >= 5 and ein == cout and eout == cin
            print("t%d (SPI in %s out %s): espgate in %d packets %d bytes, out %d packets %d bytes; charon out %d/%d, in %d/%d%s" %
                  (n, c["spi_in"], c["spi_out"], ein[0], ein[1], eout[0], eout[1], cout[0], cout[1], cin[0], cin[1],
                   "" if good else "  <-- WRONG"))
            rc |= not good
        elif ein[0] or eout[0] or cout[0] or cin[0]:
            idle_moved.append("t%d (espgate in %d out %d, charon out %d in %d)" % (n, ein[0], eout[0], cout[0], cin[0]))
if seen != sample:
    print("no Child SA (charon and espgate) for sampled tunnels %s" % sorted(sample - seen)); rc = 1
if idle_moved:
    print("Child SAs not pinged through that counted packets: " + ", ".join(idle_moved)); rc = 1
else:
    print("the other %d Child SAs counted no packet (espgate and charon)" % (len(egc) - len(sample)))
sys.exit(rc)
EOF
	local rc=$?
	cat "$W/counters.txt"
	while read -r l; do note "$l"; done <"$W/counters.txt"
	return $rc
}
check "espgatectl --json sas: the sampled Child SAs' data-plane SAs counted >= 5 packets each way (equal to charon's), the others none" counters

# 7: SIGTERM
check "SIGTERM: espgate exits 0 and logs \"mbufs in use at exit: 0\"" eg_sigterm_clean

[ "$N" -eq "$PLAN" ] || echo "# internal: ran $N of $PLAN test points"
[ "$FAILED" -eq 0 ]
