#!/bin/bash
# espgate in a minute: a branch office reaches headquarters through an IPsec
# tunnel that espgate negotiates (IKEv2) and carries (ESP) itself.
#
#   scripts/demo.sh
#
#   host ------- br: strongSwan ============ gw: espgate ------- srv
#   198.18.1.2   198.18.1.1 | 203.0.113.2    203.0.113.1 | 198.18.2.1   198.18.2.2
#                      IKEv2 + ESP in UDP 4500
#
# Runs scripts/setup.sh, builds this topology in network namespaces
# (scripts/lib/tunnel.sh), starts espgate in gw and strongSwan's charon in
# br; charon initiates the tunnel 198.18.1.0/24 <=> 198.18.2.0/24 and routes
# the branch host's traffic into it. Then ping and a 5 s TCP iperf3 go from
# the host to the server through the tunnel, and the demo ends with
# `espgatectl sas` and a checked summary (IKE SA ESTABLISHED, Child SA
# INSTALLED, packets counted both ways; exit status 1 if any is false).
# Everything is removed again, also on failure or ^C.
#
# SKIP_SETUP=1 skips scripts/setup.sh. The former kernel stand-in
# (ESPGATE_DEMO_STANDIN=kernel) is gone: this kernel has no XFRM, so gw's
# kernel cannot be the IPsec end; espgate is.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) BUILD=$BUILD_DIR ;; *) BUILD=$ROOT/$BUILD_DIR ;; esac
export BUILD_DIR

# shellcheck source=scripts/lib/netns.sh
source "$ROOT/scripts/lib/netns.sh"
deps_need prog ping iperf3
deps_need pmd net_af_packet bus_vdev mempool_ring
# shellcheck source=scripts/lib/strongswan.sh
source "$ROOT/scripts/lib/strongswan.sh"
# shellcheck source=scripts/lib/tunnel.sh
source "$ROOT/scripts/lib/tunnel.sh"

if [ -t 1 ]; then BOLD=$'\033[1m' NORM=$'\033[0m'; else BOLD="" NORM=""; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$NORM"; }
fail() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	if [ -n "${EG_LOG:-}" ] && [ -s "$EG_LOG" ]; then
		echo "espgate log (tail):" >&2
		grep -v '^EAL' "$EG_LOG" | tail -n 20 >&2
	fi
	if [ -n "${SW_DIR[br]:-}" ] && [ -s "$(sw_log br)" ]; then
		echo "charon log (tail):" >&2
		tail -n 20 "$(sw_log br)" >&2
	fi
	exit 1
}
# show CMD...: print the command, then run it.
show() {
	printf '$ %s\n' "$*"
	"$@"
}

if [ -n "${ESPGATE_DEMO_STANDIN:-}" ]; then
	echo "demo: ESPGATE_DEMO_STANDIN is no longer supported: the demo is an IPsec tunnel and this kernel has no XFRM to stand in for espgate" >&2
	exit 2
fi

if [ "${SKIP_SETUP:-0}" != 1 ]; then
	step "setup and build"
	"$ROOT/scripts/setup.sh" || fail "scripts/setup.sh"
fi

netns_init egd || fail "needs root"
W=$NETNS_WORKDIR
EG_LOG=$W/espgate.log

step "topology: host <-> br (strongSwan) <-> gw (espgate) <-> srv (namespaces ${NETNS_ID}-*)"
tunnel_topo_create || fail "could not build the topology"
echo "host $HOST_V4/24, default via $BR_LAN_V4 (br)"
echo "br   lan $BR_LAN_V4/24, wan $BR_WAN_V4/24: strongSwan, tunnels $BRANCH_NET <=> $HQ_NET"
echo "gw   wan $GW_WAN_V4/24 (unprotected), lan $GW_LAN_V4/24 (protected): espgate"
echo "srv  $SRV_V4/24, default via $GW_LAN_V4 (gw)"

step "start espgate in gw (responder for connection \"$TUN_CONN\")"
tunnel_espgate_config "$W/espgate.json" info
cat "$W/espgate.json"
espgate_start "$BUILD" "$W/espgate.json" "$EG_LOG" 30 || fail "espgate did not start"
show "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" status || fail "espgatectl status"

step "start strongSwan's charon in br"
tunnel_sw_prepare || fail "charon's configuration"
tunnel_sw_start || fail "charon did not start or did not load its connection"
sed -n '/^connections/,/^secrets/p' "$(sw_dir br)/swanctl/swanctl.conf" | sed '$d'

step "charon initiates the tunnel (IKEv2 to $GW_WAN_V4)"
tunnel_up 20 >"$W/initiate.log" 2>&1 || {
	cat "$W/initiate.log"
	fail "the tunnel did not come up"
}
grep -E 'established|selected proposal|faking NAT' "$W/initiate.log"
echo "charon routes the branch's traffic to $HQ_NET into its tunnel device:"
ip -n "$NS_BR" route show table 220

step "ping host -> srv through the tunnel"
show ip netns exec "$NS_HOST" ping -n -c 5 -i 0.2 -w 10 "$SRV_V4" || fail "ping $SRV_V4"

step "iperf3 TCP host -> srv, 5 s, through the tunnel"
bg_run IPERF_PID "$W/iperf-server.log" ip netns exec "$NS_SRV" iperf3 -s -1 -B "$SRV_V4"
wait_for "nsx '$NS_SRV' ss -Hltn 'sport = :5201' | grep -q ." 10 || fail "iperf3 server"
show timeout 40 ip netns exec "$NS_HOST" iperf3 -c "$SRV_V4" -t 5 -f m || fail "iperf3"
wait_pid_exit "$IPERF_PID" 10 || stop_pid "$IPERF_PID"

step "espgatectl sas"
show "$BUILD/app/espgatectl" --socket "$ESPGATE_SOCK" sas || fail "espgatectl sas"

step "summary"
eg_sas_json >"$W/sas.json" || fail "espgatectl --json sas"
summary() {
	json_get "$W/sas.json" '
(lambda ike, kid, sa: "\n".join(
  "  [%s] %s: %s" % ("ok" if good else "FAILED", what, detail) for what, good, detail in (
    ("IKE SA ESTABLISHED", bool(ike) and ike[0]["state"] == "ESTABLISHED",
     "%s %s <-> %s:%s" % (ike[0]["state"], ike[0]["conn"], ike[0]["remote"], ike[0]["remote_port"]) if ike else "none"),
    ("Child SA INSTALLED", bool(kid) and kid[0]["state"] == "INSTALLED",
     "%s %s/%s SPIs in %s out %s" % (kid[0]["state"], kid[0]["conn"], kid[0]["child"], kid[0]["spi_in"], kid[0]["spi_out"]) if kid else "none"),
    ("inbound packets counted", bool(kid) and sa(kid[0]["sa_in"]).get("packets", 0) > 0,
     "%d packets, %d bytes decrypted" % (sa(kid[0]["sa_in"]).get("packets", 0), sa(kid[0]["sa_in"]).get("bytes", 0)) if kid else "no SA"),
    ("outbound packets counted", bool(kid) and sa(kid[0]["sa_out"]).get("packets", 0) > 0,
     "%d packets, %d bytes encrypted" % (sa(kid[0]["sa_out"]).get("packets", 0), sa(kid[0]["sa_out"]).get("bytes", 0)) if kid else "no SA"))))(
  [s for s in d["ike_sas"] if s["conn"] == "'"$TUN_CONN"'"],
  [c for c in d["child_sas"] if c["conn"] == "'"$TUN_CONN"'"],
  lambda i: ([s for s in d["sas"] if s["id"] == i] or [{}])[0])'
}
SUMMARY=$(summary) || fail "could not read espgatectl's answer"
echo "$SUMMARY"
if grep -q FAILED <<<"$SUMMARY"; then
	fail "the tunnel is not as it should be (see the summary)"
fi

step "stop espgate (SIGTERM)"
kill -TERM "$ESPGATE_PID"
wait_pid_exit "$ESPGATE_PID" 10 || fail "espgate did not stop within 10 s"
[ "$WAIT_STATUS" -eq 0 ] || fail "espgate exited with status $WAIT_STATUS"
echo "espgate exited 0; $(grep -o 'mbufs in use at exit: [0-9]*' "$EG_LOG")"

step "clean up"
netns_cleanup
echo "demo: OK"
exit 0
